#!/usr/bin/env bash
# The README's test command (and .ci/run): installs what it needs, then lint, typecheck and every
# test. Test files start the engines they need themselves (once per file) and stop them after.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$ROOT"
bash tools/engines/ensure.sh
mkdir -p .run

say "lint + format (biome)"
pnpm exec biome ci .
say "lint + format (ruff, prefect/ Python)"
prefect_venv=$(bash tools/engines/prefect.sh | sed -n 's/^venv=//p')
"$prefect_venv/bin/ruff" check prefect
"$prefect_venv/bin/ruff" format --check prefect
say "typecheck (tsc --noEmit, strict)"
pnpm exec tsc -p tsconfig.json
say "tests (vitest)"
rc=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.run/vitest-report.json "$@" || rc=$?
node tools/ci/summary.mjs .run/vitest-report.json || rc=1
exit $rc
