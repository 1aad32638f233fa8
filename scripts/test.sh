#!/usr/bin/env bash
# The whole test suite of golive: what CI runs (through .ci/run) and what a
# contributor runs before pushing.
#
#   1. formatting      cargo fmt --all -- --check            (skipped if rustfmt is missing)
#   2. lints           cargo clippy --workspace --all-targets -D warnings (skipped if clippy is missing)
#   3. build           cargo build --locked
#      docker          a Docker engine and the local test images (scripts/docker.sh,
#                      scripts/images.sh): the stack tests run real containers
#   4. tests           cargo test --workspace --all-targets (golive and the demo service)
#   5. end-to-end      the real binary on the bundled example and fixtures:
#                      exit 0 READY, 1 NOT READY, 2 COULD NOT EVALUATE,
#                      the three reports, and `golive validate`
#
# Any failure stops the script with a non-zero exit code. The `test result:`
# lines of cargo test stay in the output as cargo prints them, and the last
# line sums them up with the end-to-end checks: "N passed, 0 failed".
#
# Usage: bash scripts/test.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

# rustup installs cargo under ~/.cargo/bin, which a non-login shell may lack.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

started=$SECONDS
section() {
    printf '\n==> %s  [%ds]\n' "$*" "$((SECONDS - started))"
}
fail() {
    printf '\nFAILED: %s\n' "$*" >&2
    exit 1
}

# has_component TOOL: true when `cargo TOOL` works, after trying to add the
# rustup component once. rustup needs static.rust-lang.org for that, which
# offline machines cannot reach: give up quickly and say so.
has_component() {
    local tool=$1 component=$2
    if cargo "$tool" --version >/dev/null 2>&1; then
        return 0
    fi
    if command -v rustup >/dev/null 2>&1; then
        echo "cargo $tool is missing: trying 'rustup component add $component'"
        if timeout 120 rustup component add "$component" >/dev/null 2>&1 \
            && cargo "$tool" --version >/dev/null 2>&1; then
            return 0
        fi
    fi
    return 1
}

section "Toolchain"
cargo --version
rustc --version

# -----------------------------------------------------------------------------
section "1/5 Formatting: cargo fmt --all -- --check"
if has_component fmt rustfmt; then
    cargo fmt --all -- --check || fail "formatting differs: run 'cargo fmt --all'"
else
    echo "SKIPPED: rustfmt is not installed and 'rustup component add rustfmt' is not possible here (offline?)."
fi

# -----------------------------------------------------------------------------
section "2/5 Lints: cargo clippy --workspace --all-targets -- -D warnings"
if has_component clippy clippy; then
    cargo clippy --workspace --all-targets --locked -- -D warnings
else
    echo "SKIPPED: clippy is not installed and 'rustup component add clippy' is not possible here (offline?)."
fi

# -----------------------------------------------------------------------------
section "3/5 Build: cargo build"
if [ -f Cargo.lock ]; then
    cargo build --locked
else
    echo "no Cargo.lock: building without --locked"
    cargo build
fi

# -----------------------------------------------------------------------------
section "Docker engine and local images (scripts/docker.sh, scripts/images.sh)"
# The stack tests start real containers: a Docker engine (installed and
# started here when this runs as root on Debian) and the images built
# locally (no registry is reachable). They are not optional: without Docker
# this script fails, saying what is missing.
bash scripts/docker.sh || fail "no Docker engine (see the message above)"
bash scripts/images.sh || fail "the local test images could not be built"
# The dossier (report.html) is checked in headless Chromium, Debian's.
if ! command -v chromium >/dev/null 2>&1; then
    bash scripts/apt-install.sh chromium || fail "Chromium is needed to check report.html"
fi

section "4/5 Tests: cargo test"
# --all-targets: unit and integration tests (the crate has no doc tests, and
# an empty doc-test run would be the last "test result" line).
test_log=$(mktemp "${TMPDIR:-/tmp}/golive-cargo-test.XXXXXX")
cargo test --workspace --all-targets 2>&1 | tee "$test_log"
cargo_passed=$(awk '/^test result:/ {sum += $4} END {print sum + 0}' "$test_log")
# The container tests (tests/stack.rs) run for real: say how many.
container_tests=$(awk '/Running tests\/stack.rs/ {found = 1} found && /^test result:/ {print $4; exit}' "$test_log")
echo "container tests (tests/stack.rs, real Docker engine): ${container_tests:-0} passed"
[ "${container_tests:-0}" -gt 0 ] || fail "the container tests did not run"
rm -f "$test_log"

# -----------------------------------------------------------------------------
section "5/5 End-to-end: the golive binary"
golive="$root/target/debug/golive"
[ -x "$golive" ] || fail "$golive was not built"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# expect_exit CODE WHAT -- COMMAND...: runs COMMAND, shows its output and
# fails unless it exits with CODE.
expect_exit() {
    local expected=$1 what=$2 code=0
    shift 3
    echo "--- $what"
    echo "\$ ${*/#$golive/golive}"
    "$@" || code=$?
    if [ "$code" -ne "$expected" ]; then
        fail "$what: expected exit code $expected, got $code"
    fi
    echo "ok: exit code $code"
    e2e_passed=$((e2e_passed + 1))
}
e2e_passed=0

# expect_reports DIR: the four reports exist and are not empty.
expect_reports() {
    local file
    for file in junit.xml summary.json summary.md report.html; do
        [ -s "$1/$file" ] || fail "missing or empty report: $1/$file"
    done
    echo "ok: $1/{junit.xml,summary.json,summary.md,report.html} written"
}

expect_exit 0 "bundled checklist on the bundled example: READY" -- \
    "$golive" run --report-dir "$tmp/ready"
expect_reports "$tmp/ready"

expect_exit 1 "a Deployment without a liveness probe: NOT READY" -- \
    "$golive" run --target manifests:fixtures/checks/probe.liveness/fail/deployment-no-liveness.yaml \
    --report-dir "$tmp/not-ready"
expect_reports "$tmp/not-ready"

expect_exit 2 "malformed YAML: COULD NOT EVALUATE" -- \
    "$golive" run --target manifests:fixtures/malformed/broken-indent.yaml --report-dir "$tmp/malformed"
expect_reports "$tmp/malformed"

expect_exit 0 "fixtures/example-helm.yaml (helm template output) on stdin: READY" -- \
    "$golive" run --target manifests:- --report-dir "$tmp/stdin" <fixtures/example-helm.yaml
expect_reports "$tmp/stdin"

expect_exit 0 "golive validate: features and golive.yaml are consistent" -- \
    "$golive" validate

expect_exit 0 "the reference stack started in Docker (stack:fixtures/stacks/reference.yaml): READY" -- \
    "$golive" run --target stack:fixtures/stacks/reference.yaml --report-dir "$tmp/stack"
expect_reports "$tmp/stack"

# Nothing any test started may outlive it.
leftover=$(docker ps -aq --filter label=dev.golive.run; docker network ls -q --filter label=dev.golive.run)
[ -z "$leftover" ] || fail "containers or networks left behind: $leftover"
echo "ok: no golive container or network left on the Docker engine"

section "All tests passed"
# The plain closing line CI reads: cargo's tests plus the end-to-end checks.
echo "$((cargo_passed + e2e_passed)) passed, 0 failed"
