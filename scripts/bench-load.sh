#!/usr/bin/env bash
# Figures for load campaigns (a benchmark, not a test): golive's engine side
# by side with its peers on the same local nginx (a container of the local
# golive/nginx image answering 200 "ok" to GET /, reached at its bridge
# address so Docker's port proxy is not measured):
#
#   golive load      a profile of CONNECTIONS users without think time
#   raw Goose        examples/raw_goose.rs, the same users, Goose's own metrics
#   wrk              -t2 -c CONNECTIONS (the reference for what the machine
#                    and nginx can do; it does far less per request)
#
# For each: requests per second, p50 and p99 as the tool reports them, CPU
# seconds (user + system) per 1,000 requests, and peak memory. The server
# shares the machine's cores with the load generator, so the rates compare
# tools with each other on this machine, not with a dedicated injector.
#
# Then a soak: a constant-rate campaign of SOAK minutes against the same
# nginx, golive's resident memory sampled every 30 s (flat = no leak).
#
#   GOLIVE_BENCH_SECONDS=20        length of each throughput run
#   GOLIVE_BENCH_CONNECTIONS=32    users / connections
#   GOLIVE_BENCH_RUNS=3            runs of each tool (figures of every run)
#   GOLIVE_BENCH_SOAK_MINUTES=10   0 skips the soak
#   GOLIVE_BENCH_SOAK_RATE=200     requests per second during the soak
#
# Usage: bash scripts/bench-load.sh   (after scripts/docker.sh and scripts/images.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${GOLIVE_BENCH_SECONDS:-20}
connections=${GOLIVE_BENCH_CONNECTIONS:-32}
runs=${GOLIVE_BENCH_RUNS:-3}
soak_minutes=${GOLIVE_BENCH_SOAK_MINUTES:-10}
soak_rate=${GOLIVE_BENCH_SOAK_RATE:-200}

command -v wrk >/dev/null 2>&1 || bash scripts/apt-install.sh wrk
cargo build --release --quiet --bin golive --example raw_goose
golive=target/release/golive
raw_goose=target/release/examples/raw_goose

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench-load.XXXXXX")
container=golive-bench-nginx-$$
cleanup() {
    docker rm -f "$container" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/default.conf" <<'EOF'
server {
    listen 8080;
    access_log off;
    location / { return 200 "ok\n"; }
}
EOF
chmod 644 "$tmp/default.conf"
docker run -d --name "$container" --label dev.golive.run=bench-load \
    -v "$tmp/default.conf:/etc/nginx/conf.d/default.conf:ro" golive/nginx:1.22 >/dev/null
address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$container")
url="http://$address:8080"
for _ in $(seq 50); do
    curl -fs "$url/" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$url/" >/dev/null || { echo "nginx did not answer at $url" >&2; exit 1; }

# measure NAME COMMAND...: runs the command under GNU time; leaves its
# output in $tmp/out and "cpu_seconds max_rss_kib" in $tmp/cost.
measure() {
    /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
    read -r user system rss <"$tmp/time"
    python3 -c 'import sys; print(float(sys.argv[1]) + float(sys.argv[2]), sys.argv[3])' \
        "$user" "$system" "$rss" >"$tmp/cost"
}

# row TOOL REQUESTS RPS P50 P99: one line of the table from $tmp/cost.
row() {
    read -r cpu rss <"$tmp/cost"
    python3 - "$@" "$cpu" "$rss" <<'EOF'
import sys
tool, requests, rps, p50, p99, cpu, rss = sys.argv[1:]
per_thousand = float(cpu) * 1000 / max(float(requests), 1)
print(f"{tool:<12} {float(rps):>10.0f} {p50:>9} {p99:>9} {float(cpu):>8.1f} {per_thousand:>12.3f} {int(rss) / 1024:>9.1f}")
EOF
}

# profile FILE NAME DESCRIPTION LOAD: a profile of GET / on the nginx with
# the given load shape (a YAML flow mapping).
profile() {
    cat >"$1" <<EOF
name: $2
description: $3
host: $url
load: $4
scenarios:
  - name: root
    requests:
      - { name: root, path: /, expect: { status: 200 } }
targets:
  error_rate_percent: 0.1
EOF
}

profile "$tmp/profile.yaml" bench "$connections users without think time on GET /" \
    "{ stages: [ { users: $connections, ramp: 1s, hold: ${seconds}s } ] }"

printf '\n%s, %s connections, %s s per run, %s runs; server: nginx at %s\n' \
    "$(nproc) cores" "$connections" "$seconds" "$runs" "$url"
printf '%-12s %10s %9s %9s %8s %12s %9s\n' tool 'req/s' 'p50 ms' 'p99 ms' 'CPU s' 'CPU s/1k req' 'RSS MiB'
for _ in $(seq "$runs"); do
    measure "$golive" load "$tmp/profile.yaml" --report-dir "$tmp/golive"
    read -r requests rps p50 p99 < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["campaigns"][0]
s, r = d["steady"], d["ramp"]
print(s["requests"] + r["requests"], d["steady_rps"], round(s["p50_ms"], 2), round(s["p99_ms"], 2))' \
        "$tmp/golive/summary.json")
    row golive "$requests" "$rps" "$p50" "$p99"

    measure "$raw_goose" --host "$url" --users "$connections" --increase-rate "$connections" \
        --run-time "$((seconds + 1))s" --no-telnet --quiet
    read -r requests rps p50 p99 < <(python3 -c '
import re, sys
f = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", open(sys.argv[1]).read().splitlines()[-1])}
print(f["requests"], f["requests"] / max(f["seconds"], 1), f["p50_us"] / 1000, f["p99_us"] / 1000)' "$tmp/out")
    row 'raw Goose' "$requests" "$rps" "$p50" "$p99"

    measure wrk -t2 -c"$connections" -d"${seconds}s" --latency "$url/"
    read -r requests rps p50 p99 < <(python3 -c '
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    value, unit = re.search(label + r"\s+([\d.]+)(us|ms|s)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 2)
requests = re.search(r"(\d+) requests in", text).group(1)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
print(requests, rps, ms("50%"), ms("99%"))' "$tmp/out")
    row wrk "$requests" "$rps" "$p50" "$p99"
done

[ "$soak_minutes" -gt 0 ] || exit 0
profile "$tmp/soak.yaml" soak-bench "$soak_rate requests per second for $soak_minutes minutes on GET /" \
    "{ rate: { per_second: $soak_rate, ramp: 5s, duration: ${soak_minutes}m, max_users: 64 } }"
printf '\nsoak: %s req/s for %s min; golive resident memory (MiB) every 30 s:\n' "$soak_rate" "$soak_minutes"
"$golive" load "$tmp/soak.yaml" --report-dir "$tmp/soak" >/dev/null 2>&1 &
pid=$!
samples=()
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && samples+=("$rss")
    sleep 30
done
wait "$pid" || true
echo "${samples[*]}"
python3 - "$tmp/soak/summary.json" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
d = run["campaigns"][0]
s = d["steady"]
print("soak: {} requests at {:.1f} req/s, p50 {:.2f} ms, p99 {:.2f} ms, {} failed, verdict {}".format(
    s["requests"], d["steady_rps"], s["p50_ms"], s["p99_ms"], s["failures"], run["verdict"]))
EOF
