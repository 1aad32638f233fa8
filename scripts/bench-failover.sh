#!/usr/bin/env bash
# Figures for the failover scenarios (a benchmark, not a test): the three
# scenarios of features/failover.feature on the HA stack, N times, and per
# scenario the spread (min / median / max) of what the reports measure —
# RTO, failed probe attempts, slowest attempt, promotion time, writes lost,
# the load's requests and failures.
#
#   GOLIVE_BENCH_RUNS=5        runs of the whole feature
#
# Usage: bash scripts/bench-failover.sh   (after scripts/docker.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${GOLIVE_BENCH_RUNS:-5}
cargo build --release --quiet
bash scripts/images.sh >/dev/null
golive=target/release/golive
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench-failover.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for i in $(seq "$runs"); do
    started=$SECONDS
    code=0
    "$golive" run --target stack:fixtures/stacks/ha.yaml --features features/failover.feature \
        --allow-disruption --report-dir "$tmp/run-$i" >"$tmp/run-$i.log" 2>&1 || code=$?
    printf 'run %d: exit %d in %d s\n' "$i" "$code" "$((SECONDS - started))"
done

python3 - "$tmp" "$runs" <<'PY'
import json, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
rows = {}
for i in range(1, runs + 1):
    summary = json.load(open(f"{tmp}/run-{i}/summary.json"))
    for feature in summary["features"]:
        for scenario in feature["scenarios"]:
            for t in scenario.get("failover", []):
                load = t.get("load") or []
                writes = t.get("writes") or {}
                figures = {
                    "RTO s": t.get("recovered_after_s"),
                    "failed attempts": t["failed"],
                    "slowest attempt s": t["slowest_attempt_s"],
                    "promoted after s": (t.get("promoted") or {}).get("after_s"),
                    "writes acknowledged": writes.get("acknowledged"),
                    "writes lost": writes.get("lost"),
                    "load requests": sum(s["requests"] for s in load) if load else None,
                    "load failed": sum(s["failed"] for s in load) if load else None,
                }
                name = t["disruption"]
                rows.setdefault(name, {}).setdefault("status", []).append(scenario["status"])
                for key, value in figures.items():
                    rows[name].setdefault(key, []).append(value)

def spread(values):
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    missing = len(values) - len(present)
    text = f"{min(present):g} / {statistics.median(present):g} / {max(present):g}"
    return text + (f" ({missing} none)" if missing else "")

print(f"\n{'scenario figure (min / median / max over ' + str(runs) + ' runs)':<58} value")
for name, figures in rows.items():
    statuses = figures.pop("status")
    print(f"\n{name}: " + ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses))))
    for key, values in figures.items():
        if any(v is not None for v in values):
            print(f"  {key:<56} {spread(values)}")
PY
