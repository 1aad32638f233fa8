#!/usr/bin/env bash
# Benchmark (not a test): how fast golive loads and checks a large manifest
# set, next to a peer tool on the same files.
#
#   1. builds golive in release mode;
#   2. generates N objects (default 10,000; rounded up to whole copies) by
#      multiplying the example
#      application of fixtures/example/: copy i renames every object to
#      NAME-i (labels, selectors and references follow, so the copies stay
#      valid and READY) and lands in one of 20 namespaces team-00..team-19;
#      written as a directory tree (one directory per copy, as helm renders a
#      chart) and as one multi-document stream;
#   3. measures `golive run` on the directory and on the stream (stdin):
#      median wall time of 5 runs (hyperfine when installed, else a bash
#      loop), peak RSS (GNU time), objects per second;
#   4. measures `golive run --target cluster` on the same objects served by
#      the Kubernetes API double of the tests (GOLIVE_BENCH_CLUSTER=0 skips);
#   5. runs checkov (PyPI) once on the same directory with all of its
#      Kubernetes checks, the closest match to golive's whole catalogue;
#      CHECKOV_CHECKS=CKV_K8S_8,CKV_K8S_9 restricts it (e.g. to its probe
#      checks), GOLIVE_BENCH_CHECKOV=0 skips it.
#
# Usage: bash scripts/bench.sh [N]
# Environment: GOLIVE_BENCH_KEEP=1 keeps the generated files and prints where.
#
# Installs what it lacks: `time` and `hyperfine` (apt-get), checkov in a
# virtualenv under ~/.cache/golive-bench (pip).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

n=${1:-10000}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash scripts/bench.sh [N]  (N: number of objects, default 10000)" >&2; exit 2; }
runs=5
namespaces=20
checkov_checks=${CHECKOV_CHECKS-}
cache="${XDG_CACHE_HOME:-$HOME/.cache}/golive-bench"

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

section() { printf '\n==> %s\n' "$*"; }

# ---------------------------------------------------------------------------
section "Tools"
apt_updated=0
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ "$apt_updated" -eq 0 ]; then
        $sudo apt-get update -qq || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
command -v perl >/dev/null 2>&1 || missing+=(perl-base)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing with apt-get: ${missing[*]}"
    apt_install "${missing[@]}" || echo "apt-get install failed: continuing with what is there"
fi
command -v perl >/dev/null 2>&1 || { echo "perl is required to generate the manifests" >&2; exit 2; }
have_hyperfine=0
if command -v hyperfine >/dev/null 2>&1; then
    have_hyperfine=1
    echo "timing: $(hyperfine --version), median of $runs runs after 1 warm-up"
else
    echo "timing: hyperfine unavailable, median of $runs runs of a bash loop (date +%s.%N)"
fi
if [ -x /usr/bin/time ]; then
    echo "memory: GNU time -v (maximum resident set size)"
else
    echo "memory: GNU time unavailable, peak RSS not measured"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"

# ---------------------------------------------------------------------------
section "Build: cargo build --release"
if [ -f Cargo.lock ]; then cargo build --release --locked; else cargo build --release; fi
golive="$root/target/release/golive"
"$golive" --version

# ---------------------------------------------------------------------------
section "Generate $n objects from fixtures/example/"
work=$(mktemp -d "${TMPDIR:-/tmp}/golive-bench.XXXXXX")
if [ "${GOLIVE_BENCH_KEEP:-0}" = 1 ]; then
    trap 'echo "kept: $work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
manifests="$work/manifests"
stream="$work/stream.yaml"

# Copy i of the application: every value equal to the name of an object of
# the example (metadata.name, and so labels, selectors, references, named
# ports) gets the suffix -i; namespace production becomes team-(i mod 20),
# whose Namespace object is written once; hosts become *.factory-i.company.com.
perl -e '
use strict; use warnings;
my ($src, $out, $stream, $n, $nns) = @ARGV;
opendir(my $dh, $src) or die "$src: $!";
my @files = sort { ($a ne "namespace.yaml") <=> ($b ne "namespace.yaml") or $a cmp $b }
            grep { /\.ya?ml$/ } readdir($dh);
my (@docs, %names);
for my $file (@files) {
    open(my $fh, "<", "$src/$file") or die "$src/$file: $!";
    local $/; my $text = <$fh>;
    for my $doc (split /^---[ \t]*\n/m, $text) {
        next unless $doc =~ /^kind:\s*(\S+)/m;
        my $kind = $1;
        $doc .= "\n" unless $doc =~ /\n\z/;
        $names{$1} = 1 if $kind ne "Namespace" && $doc =~ /^  name:\s*([\w.-]+)\s*$/m;
        $names{$1} = 1 while $doc =~ /^\s*secretName:\s*([\w.-]+)\s*$/mg;
        push @docs, [$file, $kind, $doc];
    }
}
die "no objects in $src\n" unless @docs;
open(my $all, ">", $stream) or die "$stream: $!";
my ($count, $copies, %namespace_written) = (0, 0);
for (my $i = 1; ; $i++) {
    my $ns = sprintf("team-%02d", $i % $nns);
    $copies++;
    mkdir "$out/app-$i" or die "$out/app-$i: $!";
    my %fh;
    for my $d (@docs) {
        my ($file, $kind, $doc) = @$d;
        next if $kind eq "Namespace" && $namespace_written{$ns}++;
        $doc =~ s{^([ \t]*(?:-[ \t]+)?[\w./-]+:[ \t]+)([\w.-]+)([ \t]*(?:#.*)?)$}{
            $1 . ($names{$2} ? "$2-$i" : $2 eq "production" ? $ns : $2) . $3
        }mge;
        # The label matchers of PromQL expressions follow the renames too.
        $doc =~ s{(=~?\s*")([^"]*)"}{
            my ($op, $v) = ($1, $2);
            $v =~ s/(?<![\w.-])([\w.-]+)(?![\w.-])/$names{$1} ? "$1-$i" : $1 eq "production" ? $ns : $1/ge;
            "$op$v\""
        }ge;
        $doc =~ s/\.factory\.company\.com\b/.factory-$i.company.com/g;
        unless ($fh{$file}) { open($fh{$file}, ">", "$out/app-$i/$file") or die $!; }
        else { print { $fh{$file} } "---\n"; }
        print { $fh{$file} } $doc;
        print $all "---\n# Source: app-$i/$file\n", $doc;
        $count++;
    }
    last if $count >= $n;
}
close $all;
print "$count objects: $copies copies of the example in $nns namespaces\n";
open(my $cf, ">", "$out/../count") or die $!; print $cf "$count\n";
' "fixtures/example" "$(mkdir -p "$manifests" && echo "$manifests")" "$stream" "$n" "$namespaces"
# Whole copies only (a truncated copy would lack its PDB or Secret and not be
# READY): the set holds the first multiple of a copy at or above N.
n=$(cat "$work/count")
echo "directory: $(find "$manifests" -type f | wc -l) files, $(du -sh "$manifests" | cut -f1)"
echo "stream:    1 file, $(du -sh "$stream" | cut -f1), $(wc -l <"$stream") lines"

# ---------------------------------------------------------------------------
# The generated set must be READY (exit 0) and hold the n objects: a bench of
# error paths would measure the wrong thing.
section "Check the generated set"
verify() {
    local label=$1 cmd=$2 code=0
    bash -c "$cmd" >"$work/verify.log" 2>&1 || code=$?
    head -1 "$work/verify.log"
    grep -E '^(READY|NOT READY|COULD NOT EVALUATE)' "$work/verify.log" || true
    local objects
    objects=$(grep -o '"objects": *[0-9]*' "$work/reports/summary.json" | grep -o '[0-9]*$' || echo "?")
    echo "$label: exit code $code, $objects objects in the inventory"
    if [ "$code" -ne 0 ] || [ "$objects" != "$n" ]; then
        echo "WARNING: expected exit code 0 and $n objects: the figures below measure something else" >&2
        tail -20 "$work/verify.log" >&2
    fi
}
run_dir="'$golive' run --target 'manifests:$manifests' --report-dir '$work/reports'"
run_stdin="'$golive' run --target manifests:- --report-dir '$work/reports' < '$stream'"
verify "directory" "$run_dir"
verify "stdin stream" "$run_stdin"

# ---------------------------------------------------------------------------
# measure LABEL COMMAND: median wall seconds (5 runs) and peak RSS of COMMAND
# (a shell command line); adds a row to the table.
rows=()
add_row() { rows+=("$1|$2|$3|$4"); }
peak_rss_mib() { # COMMAND -> MiB of the largest process, or n/a
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$work/time.log" bash -c "$1" >/dev/null 2>&1 || true
        awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/time.log"
    else
        echo "n/a"
    fi
}
measure() {
    local label=$1 cmd=$2 median
    echo "--- $label"
    if [ "$have_hyperfine" -eq 1 ]; then
        hyperfine --ignore-failure --warmup 1 --runs "$runs" --style basic \
            --command-name "$label" --export-json "$work/hyperfine.json" "$cmd"
        median=$(grep -o '"median": *[0-9.eE+-]*' "$work/hyperfine.json" | head -1 | sed 's/.*: *//')
    else
        local times=() t0 t1 k
        bash -c "$cmd" >/dev/null 2>&1 || true # warm-up
        for ((k = 1; k <= runs; k++)); do
            t0=$(date +%s.%N)
            bash -c "$cmd" >/dev/null 2>&1 || true
            t1=$(date +%s.%N)
            times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
            echo "run $k: ${times[-1]} s"
        done
        median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    fi
    local rss
    rss=$(peak_rss_mib "$cmd")
    echo "median ${median} s, peak RSS ${rss} MiB"
    add_row "$label" "$n" "$median" "$rss"
}

section "golive: $n objects"
measure "golive run (directory)" "$run_dir"
measure "golive run (stdin stream)" "$run_stdin"

# ---------------------------------------------------------------------------
# The same objects read from a cluster: the Kubernetes API double of the
# tests (examples/kube_double.rs) serves the directory as a cluster runs it
# (plus what a cluster adds: ReplicaSets, pods, nodes, default accounts),
# over HTTPS on loopback; golive reads it page by page and runs the same
# items (the @manifests ones). The double shares the cores: its serving
# time is part of the figure. GOLIVE_BENCH_CLUSTER=0 skips it.
if [ "${GOLIVE_BENCH_CLUSTER:-1}" != 0 ]; then
    section "golive on a cluster: the same objects from the Kubernetes API double"
    cargo build --release --locked --example kube_double
    mkfifo "$work/double.in"
    "$root/target/release/examples/kube_double" "$manifests" <"$work/double.in" >"$work/double.out" 2>&1 &
    double_pid=$!
    exec 3>"$work/double.in"
    for _ in $(seq 600); do
        grep -q '^KUBECONFIG=' "$work/double.out" 2>/dev/null && break
        kill -0 "$double_pid" 2>/dev/null || break
        sleep 0.1
    done
    kubeconfig=$(sed -n 's/^KUBECONFIG=//p' "$work/double.out")
    if [ -n "$kubeconfig" ]; then
        run_cluster="KUBECONFIG='$kubeconfig' '$golive' run --target cluster --tags @manifests --report-dir '$work/reports'"
        code=0
        bash -c "$run_cluster" >"$work/verify.log" 2>&1 || code=$?
        head -1 "$work/verify.log"
        cluster_objects=$(grep -o '"objects": *[0-9]*' "$work/reports/summary.json" | grep -o '[0-9]*$' || echo "?")
        echo "cluster: exit code $code, $cluster_objects objects in the inventory (the $n of the files, and what the cluster adds)"
        measure "golive run (cluster, API double)" "$run_cluster"
    else
        echo "the double did not start: $(tail -3 "$work/double.out")"
    fi
    exec 3>&-
    wait "$double_pid" 2>/dev/null || true
fi

# ---------------------------------------------------------------------------
section "Peer: checkov"
checkov_skip=""
checkov=""
if [ "${GOLIVE_BENCH_CHECKOV:-1}" = 0 ]; then
    checkov_skip="GOLIVE_BENCH_CHECKOV=0"
elif command -v checkov >/dev/null 2>&1; then
    checkov=$(command -v checkov)
elif [ -x "$cache/checkov/bin/checkov" ]; then
    checkov="$cache/checkov/bin/checkov"
else
    echo "installing checkov from PyPI into $cache/checkov (a few minutes)"
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        apt_install python3 python3-venv || true
    fi
    mkdir -p "$cache"
    if python3 -m venv "$cache/checkov" >"$work/pip.log" 2>&1 \
        && "$cache/checkov/bin/pip" install --quiet --disable-pip-version-check checkov >>"$work/pip.log" 2>&1; then
        checkov="$cache/checkov/bin/checkov"
    else
        rm -rf "$cache/checkov"
        checkov_skip="could not install it: $(tail -1 "$work/pip.log")"
    fi
fi
if [ -n "$checkov" ]; then
    echo "checkov $("$checkov" --version 2>/dev/null | tail -1), one run (it is slow)"
    checkov_args=(-d "$manifests" --framework kubernetes --quiet --compact -o cli)
    checks_label="all Kubernetes checks"
    if [ -n "$checkov_checks" ]; then
        checkov_args+=(--check "$checkov_checks")
        checks_label="$checkov_checks"
    fi
    echo "\$ checkov ${checkov_args[*]}"
    code=0
    t0=$(date +%s.%N)
    if [ -x /usr/bin/time ]; then
        timeout 3600 /usr/bin/time -v -o "$work/time.log" "$checkov" "${checkov_args[@]}" >"$work/checkov.log" 2>&1 || code=$?
    else
        timeout 3600 "$checkov" "${checkov_args[@]}" >"$work/checkov.log" 2>&1 || code=$?
    fi
    t1=$(date +%s.%N)
    seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    rss="n/a"
    [ -x /usr/bin/time ] && rss=$(awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/time.log")
    # checkov exits 1 when a check fails: only a timeout or a crash is a skip.
    if [ "$code" -le 1 ]; then
        echo "checkov exit code $code in $seconds s; last lines of its output:"
        tail -5 "$work/checkov.log" | sed 's/^/  /'
        add_row "checkov ($checks_label)" "$n" "$seconds" "$rss"
    else
        checkov_skip="checkov exited with code $code: $(tail -1 "$work/checkov.log")"
    fi
fi
[ -z "$checkov_skip" ] || echo "checkov SKIPPED: $checkov_skip"

# ---------------------------------------------------------------------------
section "Results ($n objects, $(nproc) cores)"
printf '%-36s %8s %9s %11s %13s\n' "tool" "objects" "seconds" "objects/s" "peak RSS MiB"
for row in "${rows[@]}"; do
    IFS='|' read -r tool objects seconds rss <<<"$row"
    printf '%-36s %8s %9.3f %11.0f %13s\n' "$tool" "$objects" "$seconds" \
        "$(awk -v n="$objects" -v s="$seconds" 'BEGIN { print (s > 0) ? n / s : 0 }')" "$rss"
done
[ -z "$checkov_skip" ] || printf '%-36s %s\n' "checkov" "skipped: $checkov_skip"
