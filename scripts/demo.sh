#!/usr/bin/env bash
# The README's main command: the sample invoice through every stack, result and timings printed.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$ROOT"
bash tools/engines/ensure.sh
pnpm --silent demo "$@"
