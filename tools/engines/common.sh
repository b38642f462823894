# Shared by the engine build scripts: where built binaries are cached.
# The cache lives outside the clone so that a fresh clone (how CI runs) reuses it.
CACHE_ROOT="${INVOICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/invoice-orchestration}"
BIN_DIR="$CACHE_ROOT/bin"
mkdir -p "$BIN_DIR"
log() { echo "[engines] $*" >&2; }
# One progress line per build step, the build output in .run/setup.log (see scripts/steps.sh).
# shellcheck source=../../scripts/steps.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/steps.sh"
