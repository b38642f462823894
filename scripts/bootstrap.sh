# Sourced by scripts/demo.sh and scripts/test.sh: installs what the project needs, once.
# Everything downloaded or built lands in a per-user cache outside the clone, so a fresh
# clone (how CI runs) reuses it. Each step prints one line; its output goes to .run/setup.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INVOICE_CACHE_DIR="${INVOICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/invoice-orchestration}"
PNPM_VERSION="$(node -p "require('$ROOT/package.json').packageManager.split('@')[1]")"
say() { echo "==> $*" >&2; }
# shellcheck source=steps.sh
. "$ROOT/scripts/steps.sh"

# pnpm for the README's commands in any new shell: when no pnpm is on the PATH, the way pnpm's
# own docs install it (`npm install -g pnpm@<version>`, into the bin folder beside node) when that
# folder is writable, else a link in ~/.local/bin. The scripts themselves use the cached copy.
ensure_pnpm() {
  local dir="$INVOICE_CACHE_DIR/pnpm-$PNPM_VERSION"
  if [ ! -x "$dir/node_modules/.bin/pnpm" ]; then
    step "install pnpm $PNPM_VERSION into the cache" \
      npm install --no-audit --no-fund --prefix "$dir" "pnpm@$PNPM_VERSION"
  fi
  if ! command -v pnpm >/dev/null 2>&1; then
    local global_bin
    global_bin="$(npm prefix -g)/bin"
    if [ -w "$global_bin" ]; then
      step "npm install -g pnpm@$PNPM_VERSION (puts pnpm on the PATH, in $global_bin)" \
        npm install -g --no-audit --no-fund "pnpm@$PNPM_VERSION"
    else
      mkdir -p "$HOME/.local/bin"
      ln -sf "$dir/node_modules/.bin/pnpm" "$HOME/.local/bin/pnpm"
      case ":$PATH:" in
        *":$HOME/.local/bin:"*) ;;
        *) say "pnpm is linked in ~/.local/bin; add it to your PATH: export PATH=\"\$HOME/.local/bin:\$PATH\"" ;;
      esac
    fi
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

ensure_node_modules() {
  # Quick when node_modules matches the lockfile already; the line still says it ran.
  step "pnpm install" bash -c "cd '$ROOT' && pnpm install --frozen-lockfile --reporter=append-only"
}

ensure_pnpm
ensure_node_modules
# The custom engine's API-doc conformance test runs the document's curl examples (some pipe into jq).
ensure_apt curl curl
ensure_apt jq jq
