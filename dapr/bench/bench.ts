/**
 * Dapr Workflow against the reference pipeline, N = 1, 10, 50, 200 at L = 0 and 500 ms, with the
 * shared harness (tools/src/bench/compare-bench.ts). Writes docs/results/dapr-bench.json
 * (dapr-stock-daprd-bench.json with `--daprd stock`).
 *
 *   pnpm --filter @invoice/dapr bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--state redis] [--daprd stock]
 */
import { benchCli } from '@invoice/tools/bench/compare-bench';

await benchCli(
  'dapr',
  { state: { type: 'string', default: 'sqlite' }, daprd: { type: 'string', default: 'patched' } },
  (v) => ({
    settings: { state: v.state!, daprd: v.daprd! },
    label: `state.${v.state}, daprd 1.18.2 ${v.daprd}`,
    // The stock-daprd run is the "before" of the patch; it must not overwrite the stack's result.
    file: v.daprd === 'stock' ? 'dapr-stock-daprd-bench.json' : undefined,
  }),
);
