#!/usr/bin/env bash
# Figures for the failover scenarios and the release drills (a benchmark,
# not a test): features/failover.feature and features/release-drills.feature
# on the HA stack, N times each, and per scenario the spread (min / median /
# max) of what the reports measure — RTO, failed probe attempts, slowest
# attempt, promotion time, writes lost, the load's requests and failures,
# a rollout's duration, the writes a backup held and the restore's.
#
#   GOLIVE_BENCH_RUNS=5        runs of each feature
#   GOLIVE_BENCH_FEATURES="features/failover.feature features/release-drills.feature"
#
# Usage: bash scripts/bench-failover.sh   (after scripts/docker.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${GOLIVE_BENCH_RUNS:-5}
features=${GOLIVE_BENCH_FEATURES:-features/failover.feature features/release-drills.feature}
cargo build --release --quiet
bash scripts/images.sh >/dev/null
golive=target/release/golive
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench-failover.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

reports=()
for i in $(seq "$runs"); do
    for feature in $features; do
        name=$(basename "$feature" .feature)-$i
        started=$SECONDS
        code=0
        "$golive" run --target stack:fixtures/stacks/ha.yaml --features "$feature" \
            --allow-disruption --report-dir "$tmp/$name" >"$tmp/$name.log" 2>&1 || code=$?
        printf 'run %d of %s: exit %d in %d s\n' "$i" "$feature" "$code" "$((SECONDS - started))"
        reports+=("$tmp/$name/summary.json")
    done
done

python3 - "$runs" "${reports[@]}" <<'PY'
import json, re, statistics, sys
runs, reports = int(sys.argv[1]), sys.argv[2:]
rows = {}
for report in reports:
    summary = json.load(open(report))
    for feature in summary["features"]:
        for scenario in feature["scenarios"]:
            for t in scenario.get("failover", []):
                load = t.get("load") or []
                writes = t.get("writes") or {}
                steps = t.get("steps") or []
                last_step = re.match(r"([0-9.]+) s:", steps[-1]) if steps else None
                backup = writes.get("backup") or {}
                figures = {
                    "RTO s": t.get("recovered_after_s"),
                    "failed attempts": t["failed"],
                    "slowest attempt s": t["slowest_attempt_s"],
                    "promoted after s": (t.get("promoted") or {}).get("after_s"),
                    "writes acknowledged": writes.get("acknowledged"),
                    "writes lost": writes.get("lost"),
                    "load requests": sum(s["requests"] for s in load) if load else None,
                    "load failed": sum(s["failed"] for s in load) if load else None,
                    "rollout s": float(last_step.group(1)) if last_step else None,
                    "writes before the backup": backup.get("acknowledged_before"),
                    "of them lost": backup.get("lost"),
                    "RPO s": writes.get("rpo_s") if backup else None,
                }
                # A scenario with several clocks (a restore's store and
                # the application) has a row per clock.
                name = scenario["name"]
                if len(scenario["failover"]) > 1:
                    name += f" ({t['clock']})"
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
