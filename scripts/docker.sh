#!/usr/bin/env bash
# Makes a Docker engine available, for the stack tests. Idempotent.
#
#   - `docker info` answers: nothing to do.
#   - otherwise, as root on Debian: installs Debian's docker.io if dockerd is
#     missing, starts dockerd in the background (log in
#     ${TMPDIR:-/tmp}/golive-dockerd.log) and waits up to 60 s for it.
#   - otherwise: says what is missing and how to fix it, exits 1.
#
# Usage: bash scripts/docker.sh
set -euo pipefail

log="${TMPDIR:-/tmp}/golive-dockerd.log"
timeout_seconds=60

fail() {
    printf 'docker.sh: %s\n' "$*" >&2
    exit 1
}

engine_answers() {
    command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

if engine_answers; then
    echo "Docker engine: running ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v docker >/dev/null 2>&1; then
        fail "the Docker engine does not answer ('docker info' fails) and starting it needs root.
  Start it (e.g. 'sudo systemctl start docker' or 'sudo dockerd &'), or, if it runs,
  give this user access to it: 'sudo usermod -aG docker $(id -un)' then log in again."
    fi
    fail "Docker is not installed and installing it needs root.
  On Debian/Ubuntu: 'sudo apt-get install -y docker.io', then run this script again as root
  (or start the engine: 'sudo dockerd &')."
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" docker.io
fi

# give_up WHY: the end of dockerd's log, then exit 1.
give_up() {
    echo "docker.sh: $*; end of $log:" >&2
    tail -n 30 "$log" >&2 || true
    exit 1
}

started_pid=
if pidof dockerd >/dev/null 2>&1; then
    echo "dockerd is running but does not answer yet: waiting"
else
    echo "starting dockerd (log: $log)"
    # setsid: the engine outlives this script and the job that ran it.
    setsid nohup dockerd >"$log" 2>&1 </dev/null &
    started_pid=$!
fi

waited=0
until engine_answers; do
    if [ -n "$started_pid" ] && ! kill -0 "$started_pid" 2>/dev/null; then
        give_up "dockerd exited at start"
    fi
    if [ "$waited" -ge "$timeout_seconds" ]; then
        give_up "dockerd did not answer within ${timeout_seconds}s"
    fi
    sleep 1
    waited=$((waited + 1))
done
echo "Docker engine: running ($(docker version --format '{{.Server.Version}}'), ready after ${waited}s)"
