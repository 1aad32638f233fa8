#!/usr/bin/env bash
# Installs Debian packages the Docker-based tests need (docker.io, debootstrap),
# quietly, or says clearly why it cannot and how to fix it (exit 1).
#
# Usage: bash scripts/apt-install.sh PACKAGE...
set -euo pipefail

fail() {
    printf 'apt-install.sh: %s\n' "$*" >&2
    exit 1
}

[ "$#" -gt 0 ] || fail "usage: bash scripts/apt-install.sh PACKAGE..."
if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "$* needed, and this is not Debian (no apt-get): install $* with the system's
  package manager, then run the script again."
fi
if [ "$(id -u)" -ne 0 ]; then
    fail "$* needed, and installing it needs root: run 'sudo apt-get install -y $*',
  then run the script again."
fi

echo "installing $* (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "$@"; } >/dev/null; then
    fail "apt-get could not install $* (messages above): check the network and
  /etc/apt/sources.list, or install it by hand: 'apt-get install -y $*'."
fi
