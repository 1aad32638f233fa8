#!/usr/bin/env bash
# Figures for the stack target (a benchmark, not a test): how long the local
# images take to build, how long the reference stack takes from the first
# container created to the last one healthy, and how long the whole @stack
# checklist takes on it, start and removal included.
#
#   GOLIVE_BENCH_RUNS=5        runs of each measurement
#   GOLIVE_BENCH_COLD=1        also time a cold image build (removes the
#                              golive/* images first: they are rebuilt)
#
# Usage: bash scripts/bench-stack.sh   (after scripts/docker.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${GOLIVE_BENCH_RUNS:-5}
cargo build --release --quiet
golive=target/release/golive
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench-stack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ "${GOLIVE_BENCH_COLD:-0}" = 1 ]; then
    docker images --format '{{.Repository}}:{{.Tag}}' | grep '^golive/' | xargs -r docker rmi -f >/dev/null
    started=$(date +%s.%N)
    bash scripts/images.sh >/dev/null
    printf 'cold image build (debootstrap base + 4 images, testbed binary already built): %s s\n' \
        "$(python3 -c 'import sys, time; print(round(time.time() - float(sys.argv[1]), 1))' "$started")"
fi
bash scripts/images.sh >/dev/null

# field FILE EXPR: a number from a summary.json (python3 is on every machine here).
field() {
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

printf '\n%-44s %s\n' "measurement (reference stack, $runs runs)" "seconds per run"
healthy=() smoke=() full=()
for i in $(seq "$runs"); do
    "$golive" run --target stack:fixtures/stacks/reference.yaml \
        --features fixtures/stacks/features/smoke.feature --report-dir "$tmp/smoke" >/dev/null 2>&1
    healthy+=("$(field "$tmp/smoke/summary.json" "round(d['stack']['started_in_s'], 2)")")
    smoke+=("$(field "$tmp/smoke/summary.json" "round(d['duration_ms'] / 1000, 2)")")
    "$golive" run --target stack:fixtures/stacks/reference.yaml --report-dir "$tmp/full" >/dev/null 2>&1 \
        || { echo "the reference stack is not READY: see $tmp/full/summary.md" >&2; exit 1; }
    full+=("$(field "$tmp/full/summary.json" "round(d['duration_ms'] / 1000, 2)")")
done
printf '%-44s %s\n' "start to healthy (6 containers)" "${healthy[*]}"
printf '%-44s %s\n' "start + one scenario + removal" "${smoke[*]}"
printf '%-44s %s\n' "whole @stack checklist (14 items)" "${full[*]}"
