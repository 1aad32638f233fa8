#!/usr/bin/env bash
# Builds, locally, every Docker image the stack tests use (no registry needed):
#
#   golive/debian:bookworm   debootstrap (minbase) + docker import: the base of all
#   golive/postgres:15       testbed/images/postgres/
#   golive/redis:7           testbed/images/redis/
#   golive/nginx:1.22        testbed/images/nginx/
#   golive/tc:latest         testbed/images/tc/ (iproute2: golive throttles a link with it)
#   golive/testbed:latest    testbed/images/testbed/ + the demo service, built
#                            here by cargo (host and images are Debian bookworm)
#
# Idempotent: each image carries the label dev.golive.recipe, a hash of what it
# is built from (its recipe files; the base image's id; the service binary);
# an image whose label matches is up to date and skipped. Starts the Docker
# engine if needed (scripts/docker.sh); debootstrap needs root (installed
# with apt-get if missing).
#
# Environment:
#   GOLIVE_DEBIAN_MIRROR    Debian mirror (default http://deb.debian.org/debian)
#   GOLIVE_DEBIAN_SECURITY  security mirror (default http://deb.debian.org/debian-security;
#                           empty: none)
#   TMPDIR                  where the base root filesystem is built (must allow
#                           devices and executables; default /tmp)
#
# Usage: bash scripts/images.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
recipes="$root/testbed/images"
mirror=${GOLIVE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${GOLIVE_DEBIAN_SECURITY-http://deb.debian.org/debian-security}
label=dev.golive.recipe
base=golive/debian:bookworm

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

fail() {
    printf 'images.sh: %s\n' "$*" >&2
    exit 1
}

bash "$root/scripts/docker.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/golive-images.XXXXXX")
rootfs="$work/rootfs"
cleanup() {
    # debootstrap mounts these inside the root filesystem; never delete through a mount.
    local mount
    for mount in dev/pts dev/shm dev proc sys; do
        if mountpoint -q "$rootfs/$mount" 2>/dev/null; then
            umount -l "$rootfs/$mount" || true
        fi
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# recipe_hash DIR [EXTRA...]: sha256 of DIR's files (names and contents) and EXTRA.
recipe_hash() {
    local dir=$1
    shift
    {
        (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        printf '%s\n' "$@"
    } | sha256sum | cut -d' ' -f1
}

# up_to_date IMAGE HASH: the image exists and carries HASH in its label.
up_to_date() {
    local current
    current=$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null) \
        || return 1
    [ "$current" = "$2" ]
}

total_started=$SECONDS
# report IMAGE WHAT STARTED: one line per image.
report() {
    local size
    size=$(docker image inspect --format '{{.Size}}' "$1")
    printf '%-24s %-11s %4ds  %4d MB\n' "$1" "$2" "$((SECONDS - $3))" "$((size / 1000000))"
}

build_base() {
    local started=$SECONDS hash
    hash=$(recipe_hash "$recipes/debian" "suite=bookworm variant=minbase" "$mirror" "$security")
    if up_to_date "$base" "$hash"; then
        report "$base" "up to date" "$started"
        return
    fi
    [ "$(id -u)" -eq 0 ] || fail "building $base runs debootstrap, which needs root:
  run 'sudo bash scripts/images.sh' (or build the base once as root)."
    command -v debootstrap >/dev/null 2>&1 || bash "$root/scripts/apt-install.sh" debootstrap
    echo "$base: debootstrap bookworm from $mirror..."
    if ! bash "$recipes/debian/rootfs.sh" "$rootfs" "$mirror" "$security" >"$work/debootstrap.log" 2>&1; then
        tail -n 30 "$work/debootstrap.log" >&2
        fail "debootstrap failed (above: the end of its log; the mirror is $mirror)"
    fi
    tar --numeric-owner -C "$rootfs" -c . \
        | docker import --change "LABEL $label=$hash" --change 'ENV LANG=C.UTF-8' \
            --change 'CMD ["bash"]' - "$base" >/dev/null
    cleanup_rootfs
    report "$base" built "$started"
}

# Frees the disk space of the root filesystem as soon as it is imported.
cleanup_rootfs() {
    rm -rf --one-file-system "$rootfs"
}

# build_image IMAGE RECIPE [EXTRA_FILE]: docker build of testbed/images/RECIPE
# (plus EXTRA_FILE copied into the build context) on the current base.
build_image() {
    local image=$1 recipe=$2 extra=${3:-} started=$SECONDS hash context
    hash=$(recipe_hash "$recipes/$recipe" "base=$(docker image inspect --format '{{.Id}}' "$base")" \
        ${extra:+"$(sha256sum <"$extra")"})
    if up_to_date "$image" "$hash"; then
        report "$image" "up to date" "$started"
        return
    fi
    context="$work/$recipe"
    cp -r "$recipes/$recipe" "$context"
    if [ -n "$extra" ]; then
        cp "$extra" "$context/"
    fi
    # The images' non-root users read (and run) these files, whatever the umask of the checkout.
    chmod -R a+rX "$context"
    echo "$image: docker build..."
    if ! docker build --label "$label=$hash" --tag "$image" "$context" >"$work/$recipe.log" 2>&1; then
        tail -n 30 "$work/$recipe.log" >&2
        fail "docker build of $image failed (above: the end of its log)"
    fi
    report "$image" built "$started"
}

# The demo service, stripped of its debug information (the release profile
# keeps some for golive's own backtraces).
build_testbed_binary() {
    echo "golive-testbed: cargo build --release..."
    cargo build --release --locked -p golive-testbed
    local binary="${CARGO_TARGET_DIR:-$root/target}/release/golive-testbed"
    strip -o "$work/golive-testbed" "$binary" 2>/dev/null || cp "$binary" "$work/golive-testbed"
}

echo "==> Images (label $label)"
build_base
build_image golive/postgres:15 postgres
build_image golive/redis:7 redis
build_image golive/nginx:1.22 nginx
build_image golive/tc:latest tc
build_testbed_binary
build_image golive/testbed:latest testbed "$work/golive-testbed"
# Earlier versions of these images, replaced above (untagged, labelled).
docker image prune --force --filter "label=$label" >/dev/null
echo "all images ready in $((SECONDS - total_started))s"
