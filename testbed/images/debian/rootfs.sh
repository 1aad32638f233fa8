#!/usr/bin/env bash
# The root filesystem of golive/debian:bookworm, built in ROOTFS (a new
# directory): Debian bookworm by debootstrap (minbase), then made small:
# no documentation, manual pages or translations, now or in later installs.
# Run as root by scripts/images.sh, which imports ROOTFS into Docker.
#
# Usage: rootfs.sh ROOTFS MIRROR [SECURITY_MIRROR]
set -euo pipefail

rootfs=$1 mirror=$2 security=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

debootstrap --variant=minbase bookworm "$rootfs" "$mirror"

install -m 0644 "$here/dpkg-nodoc.cfg" "$rootfs/etc/dpkg/dpkg.cfg.d/golive-nodoc"
install -m 0644 "$here/apt.conf" "$rootfs/etc/apt/apt.conf.d/90golive"
{
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    if [ -n "$security" ]; then
        echo "deb $security bookworm-security main"
    fi
} >"$rootfs/etc/apt/sources.list"

# What the dpkg excludes keep out of later installs, removed from the base
# too; apt's package lists and caches (images run `apt-get update` first).
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
# The host's files debootstrap copied; Docker provides its own at run time.
rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
