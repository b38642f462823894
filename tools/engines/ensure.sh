#!/usr/bin/env bash
# Makes every engine the tests and the demo need available: Debian packages when missing, and
# the Go-built engines (cached per version outside the clone, so this is quick after the first run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"

need_apt() { # need_apt <command-or-path> <package>
  if command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; then return 0; fi
  log "apt-get install $2"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then $sudo apt-get update -qq >&2; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >&2
}

need_apt /usr/lib/postgresql/15/bin/postgres postgresql
need_apt redis-server redis-server
need_apt flock util-linux

for engine in temporal dapr prefect; do
  if [ -f "$here/$engine.sh" ]; then
    start=$(date +%s)
    bash "$here/$engine.sh" >/dev/null
    log "$engine ready ($(( $(date +%s) - start ))s)"
  fi
done
