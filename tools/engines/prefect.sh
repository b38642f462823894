#!/usr/bin/env bash
# Builds the Prefect stack's Python venv once and prints its path:  venv=<path>
# From prefect/requirements.lock (pip-compile --generate-hashes), installed with --require-hashes
# into $CACHE_ROOT/venvs/prefect-<12 hex of sha256(lock + interpreter)>, so editing the lock makes a new
# venv and a fresh clone reuses the cached one. PREFECT_VENV may point at an existing venv instead.
# Quiet: one line on stderr; pip's output goes to <venv>.log. Python >= 3.10 is needed
# (PREFECT_PYTHON picks the interpreter; default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
lock="$here/../../prefect/requirements.lock"

if [ -n "${PREFECT_VENV:-}" ]; then
  [ -x "$PREFECT_VENV/bin/prefect" ] || { log "PREFECT_VENV=$PREFECT_VENV has no bin/prefect"; exit 1; }
  echo "venv=$PREFECT_VENV"; exit 0
fi
python="${PREFECT_PYTHON:-python3}"
# The key covers the interpreter too: a venv's scripts point at the Python that built it.
key=$({ cat "$lock"; command -v "$python"; "$python" --version 2>&1; } | sha256sum | cut -c1-12)
venvs="$CACHE_ROOT/venvs"
venv="$venvs/prefect-$key"
mkdir -p "$venvs"

if [ ! -f "$venv/.complete" ]; then
  # One builder at a time (tests, the demo and ensure.sh may all ask at once).
  exec 9>"$venv.lock"
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
      { log "prefect needs Python >= 3.10; $python is $("$python" --version 2>&1)"; exit 1; }
    start=$(date +%s)
    log "building the Prefect venv from prefect/requirements.lock (once; log in $venv.log)"
    # venv must be built where it stays: its scripts hard-code their interpreter's path.
    rm -rf "$venv"
    {
      "$python" -m venv "$venv" &&
        "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
          --require-hashes --no-deps --only-binary=:all: -r "$lock"
    } >"$venv.log" 2>&1 || { log "venv build failed; see $venv.log"; tail -20 "$venv.log" >&2; exit 1; }
    touch "$venv/.complete"
    log "Prefect venv ready in $(( $(date +%s) - start ))s: $venv"
  fi
fi
echo "venv=$venv"
