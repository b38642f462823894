#!/usr/bin/env bash
# Builds Dapr's daprd, placement and scheduler once and prints their paths, one per line:
#   daprd=<path>  placement=<path>  scheduler=<path>
# DAPRD_BIN, DAPR_PLACEMENT_BIN and DAPR_SCHEDULER_BIN may point at existing binaries instead.
# DAPRD_PATCHES=none builds (or reuses) the unpatched daprd, to measure what the patch is worth.
# Idempotent: a binary already in the cache is reused; a half-written one never lands there
# (we build into a temp dir and rename).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
# 1.18.x is the runtime line @dapr/dapr 3.18 targets. 1.18.3 is the newest patch, but two of its
# dependencies (durabletask-go v0.12.4, a pulsar-client-go fork) are not served by the Go module
# proxy (403 "not available"), so it cannot be built from the registry; 1.18.2 resolves fully.
VERSION="${DAPR_RUNTIME_VERSION:-1.18.2}"

# daprd carries the upstream fixes in patches/ that no buildable release has yet (see
# dapr/SPEC.md, "The 1-second steps"). The cache key holds the patches' hash, so editing a patch
# rebuilds daprd; placement and scheduler are built from the pristine module.
patches=()
if [ "${DAPRD_PATCHES:-}" != "none" ]; then
  for p in "$here/patches/dapr-$VERSION-"*.patch; do [ -e "$p" ] && patches+=("$p"); done
fi
daprd_key="$VERSION"
if [ ${#patches[@]} -gt 0 ]; then
  daprd_key="$VERSION-p$(cat "${patches[@]}" | sha256sum | cut -c1-8)"
fi

daprd="${DAPRD_BIN:-$BIN_DIR/daprd-$daprd_key}"
placement="${DAPR_PLACEMENT_BIN:-$BIN_DIR/placement-$VERSION}"
scheduler="${DAPR_SCHEDULER_BIN:-$BIN_DIR/scheduler-$VERSION}"

need_daprd=0 pristine=()
[ -x "$daprd" ] || need_daprd=1
[ -x "$placement" ] || pristine+=(placement)
[ -x "$scheduler" ] || pristine+=(scheduler)
for var in DAPRD_BIN DAPR_PLACEMENT_BIN DAPR_SCHEDULER_BIN; do
  if [ -n "${!var:-}" ] && [ ! -x "${!var}" ]; then log "$var=${!var} is not executable"; exit 1; fi
done

# Same flags as dapr's Makefile release build: allcomponents (the sqlite name resolver and
# state.sqlite live only there), CGO off (pure-Go sqlite), version stamped for `--version`.
# One `go build` per source tree so shared packages compile once; `nice` because the machine is
# shared. Builds into $tmp, then renames into the cache under <name>-<key>.
build() { # build <source dir> <cache key> <name>...
  local src="$1" key="$2"; shift 2
  local ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$VERSION \
-X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$key \
-X github.com/dapr/kit/logger.DaprVersion=$VERSION"
  local pkgs=() name
  for name in "$@"; do pkgs+=("./cmd/$name"); done
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" nice -n 10 \
    go build -trimpath -tags allcomponents -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  for name in "$@"; do
    mv "$tmp/$name" "$BIN_DIR/$name-$key.partial"
    mv "$BIN_DIR/$name-$key.partial" "$BIN_DIR/$name-$key"
  done
}

# daprd from a patched copy of the module. The module cache is read-only: patch a copy (46 MB;
# the Go build cache still holds every package the patch does not touch).
build_daprd() { # build_daprd <module dir>
  local daprd_src="$1" p
  if [ ${#patches[@]} -gt 0 ]; then
    daprd_src="$tmp/dapr"
    cp -r "$1" "$daprd_src" && chmod -R u+w "$daprd_src"
    for p in "${patches[@]}"; do
      echo "applying $(basename "$p")"
      (cd "$daprd_src" && git apply "$p")
    done
  fi
  build "$daprd_src" "$daprd_key" daprd
}

if [ $need_daprd = 1 ] || [ ${#pristine[@]} -gt 0 ]; then
  # dapr's go.mod carries replace directives, so `go install …@v` refuses it. Building inside
  # the downloaded module directory honours them; go.sum there is complete.
  step "downloading the dapr v$VERSION module (go mod download)" go mod download "github.com/dapr/dapr@v$VERSION"
  src=$(go mod download -json "github.com/dapr/dapr@v$VERSION" 2>>"$SETUP_LOG" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "go mod download gave no module dir for dapr v$VERSION (see $SETUP_LOG)"; exit 1; }
  tmp=$(mktemp -d)
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  if [ ${#pristine[@]} -gt 0 ]; then
    step "building dapr ${pristine[*]} v$VERSION with go build (once; cached in $BIN_DIR)" \
      build "$src" "$VERSION" "${pristine[@]}"
  fi
  if [ $need_daprd = 1 ]; then
    step "building daprd v$daprd_key (${#patches[@]} upstream patch) with go build (once; cached)" \
      build_daprd "$src"
  fi
fi
echo "daprd=$daprd"
echo "placement=$placement"
echo "scheduler=$scheduler"
