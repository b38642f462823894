#!/usr/bin/env bash
# Makes every engine the tests and the demo need available: Debian packages when missing, and
# the Go-built engines (cached per version outside the clone, so this is quick after the first run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"

need_apt() { # need_apt <command-or-path> <package>
  if command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; then return 0; fi
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then step "apt-get update" $sudo apt-get update -qq; APT_UPDATED=1; fi
  step "apt-get install $2" $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"
}

need_apt /usr/lib/postgresql/15/bin/postgres postgresql
need_apt redis-server redis-server
need_apt flock util-linux

# Each build prints its own progress line; a cached engine prints nothing.
ready=()
for engine in temporal dapr; do
  if [ -f "$here/$engine.sh" ]; then
    bash "$here/$engine.sh" >/dev/null
    ready+=("$engine")
  fi
done
echo "==> engines ready: ${ready[*]} (cached in $BIN_DIR)" >&2
