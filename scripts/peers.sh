#!/usr/bin/env bash
# Benchmark-style report (not a test of its own): how often golive's static
# verdicts agree with the peer tools' (Polaris, kube-score, kube-linter, Checkov) on
# the peers' own test fixtures, fixtures/peers/ (cases.yaml says which
# fixture, which peer verdict, which golive check).
#
# Runs tests/peers.rs, which runs golive on every case, and prints its
# table: per peer and golive check, the cases that agree out of those golive
# judges, the deliberate differences (documented under the check in
# docs/checks.md), the pending bugs, and the cases golive cannot judge; then
# the overall figures. Exits non-zero when a disagreement is neither
# deliberate nor pending (the test fails; its message names the cases).
#
# Usage: bash scripts/peers.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT

status=0
GOLIVE_PEERS_REPORT="$report" cargo test --quiet --test peers \
    golive_agrees_with_the_peers_on_their_own_fixtures_or_says_why_not >&2 || status=$?

echo "golive against the peers' own fixtures (fixtures/peers/cases.yaml)"
echo
cat "$report"
exit "$status"
