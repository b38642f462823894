#!/usr/bin/env bash
# Builds Dapr's daprd, placement and scheduler once and prints their paths, one per line:
#   daprd=<path>  placement=<path>  scheduler=<path>
# DAPRD_BIN, DAPR_PLACEMENT_BIN and DAPR_SCHEDULER_BIN may point at existing binaries instead.
# Idempotent: a binary already in the cache is reused; a half-written one never lands there
# (we build into a temp dir and rename).
set -euo pipefail
. "$(dirname "$0")/common.sh"
# 1.18.x is the runtime line @dapr/dapr 3.18 targets. 1.18.3 is the newest patch, but two of its
# dependencies (durabletask-go v0.12.4, a pulsar-client-go fork) are not served by the Go module
# proxy (403 "not available"), so it cannot be built from the registry; 1.18.2 resolves fully.
VERSION="${DAPR_RUNTIME_VERSION:-1.18.2}"

daprd="${DAPRD_BIN:-$BIN_DIR/daprd-$VERSION}"
placement="${DAPR_PLACEMENT_BIN:-$BIN_DIR/placement-$VERSION}"
scheduler="${DAPR_SCHEDULER_BIN:-$BIN_DIR/scheduler-$VERSION}"

missing=()
[ -x "$daprd" ] || missing+=(daprd)
[ -x "$placement" ] || missing+=(placement)
[ -x "$scheduler" ] || missing+=(scheduler)

if [ ${#missing[@]} -gt 0 ]; then
  for name in "${missing[@]}"; do
    case "$name" in
      daprd) [ -z "${DAPRD_BIN:-}" ] || { log "DAPRD_BIN=$DAPRD_BIN is not executable"; exit 1; } ;;
      placement) [ -z "${DAPR_PLACEMENT_BIN:-}" ] || { log "DAPR_PLACEMENT_BIN=$DAPR_PLACEMENT_BIN is not executable"; exit 1; } ;;
      scheduler) [ -z "${DAPR_SCHEDULER_BIN:-}" ] || { log "DAPR_SCHEDULER_BIN=$DAPR_SCHEDULER_BIN is not executable"; exit 1; } ;;
    esac
  done
  log "building dapr ${missing[*]} v$VERSION with go build (once; cached in $BIN_DIR)"
  start=$(date +%s)
  # dapr's go.mod carries replace directives, so `go install …@v` refuses it. Building inside
  # the downloaded module directory honours them; the module cache is read-only, which is fine
  # because go.sum there is complete and we write the output elsewhere (-o).
  src=$(go mod download -json "github.com/dapr/dapr@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "go mod download gave no module dir for dapr v$VERSION"; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  pkgs=()
  for name in "${missing[@]}"; do pkgs+=("./cmd/$name"); done
  # Same flags as dapr's Makefile release build: allcomponents (the sqlite name resolver and
  # state.sqlite live only there), CGO off (pure-Go sqlite), version stamped for `--version`.
  ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$VERSION \
-X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$VERSION \
-X github.com/dapr/kit/logger.DaprVersion=$VERSION"
  # One `go build` for all binaries so shared packages compile once; `nice` because the
  # machine is shared.
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" nice -n 10 \
    go build -trimpath -tags allcomponents -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}") >&2
  for name in "${missing[@]}"; do
    mv "$tmp/$name" "$BIN_DIR/$name-$VERSION.partial"
    mv "$BIN_DIR/$name-$VERSION.partial" "$BIN_DIR/$name-$VERSION"
  done
  log "built ${missing[*]} v$VERSION in $(( $(date +%s) - start ))s"
fi
echo "daprd=$daprd"
echo "placement=$placement"
echo "scheduler=$scheduler"
