#!/usr/bin/env bash
# Builds the Temporal CLI (which embeds the dev server) once and prints its path.
# TEMPORAL_BIN may point at an existing binary instead.
set -euo pipefail
. "$(dirname "$0")/common.sh"
VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
if [ -n "${TEMPORAL_BIN:-}" ]; then echo "$TEMPORAL_BIN"; exit 0; fi
out="$BIN_DIR/temporal-$VERSION"
if [ ! -x "$out" ]; then
  tmp=$(mktemp -d)
  # v1.5.1 has no replace directives in go.mod, so plain `go install` accepts it.
  step "building the Temporal CLI v$VERSION with go install (once; cached in $BIN_DIR)" \
    env CGO_ENABLED=0 GOBIN="$tmp" go install \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$VERSION"
  mv "$tmp/temporal" "$out.partial" && mv "$out.partial" "$out"
  rm -rf "$tmp"
fi
echo "$out"
