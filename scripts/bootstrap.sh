# Sourced by scripts/demo.sh and scripts/test.sh: installs what the project needs, once.
# Everything downloaded or built lands in a per-user cache outside the clone, so a fresh
# clone (how CI runs) reuses it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INVOICE_CACHE_DIR="${INVOICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/invoice-orchestration}"
PNPM_VERSION="$(node -p "require('$ROOT/package.json').packageManager.split('@')[1]")"
say() { echo "==> $*" >&2; }

ensure_pnpm() {
  local dir="$INVOICE_CACHE_DIR/pnpm-$PNPM_VERSION"
  if [ ! -x "$dir/node_modules/.bin/pnpm" ]; then
    say "installing pnpm $PNPM_VERSION into $dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

ensure_node_modules() {
  say "pnpm install"
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
}

# apt packages, only when a command is missing (CI runs as root on a fresh machine).
ensure_apt() { # ensure_apt <command> <package>
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -x "/usr/lib/postgresql/15/bin/$1" ] && return 0
  say "apt-get install $2"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >&2
}

ensure_pnpm
ensure_node_modules
# The custom engine's API-doc conformance test runs the document's curl examples (some pipe into jq).
ensure_apt curl curl
ensure_apt jq jq
