/**
 * Dapr Workflow against the reference pipeline, N = 1, 10, 50, 200 at L = 0 and 500 ms, with the
 * shared harness (tools/src/bench/compare-bench.ts). Writes docs/results/dapr-bench.json
 * (dapr-stock-daprd-bench.json with `--daprd stock`).
 *
 *   pnpm --filter @invoice/dapr bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--state redis] [--daprd stock]
 */
import { parseArgs } from 'node:util';
import { benchAgainstReference } from '@invoice/tools/bench/compare-bench';
import { invoiceOf } from '@invoice/tools/bench/e2e';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1,10,50,200' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '3' },
    state: { type: 'string', default: 'sqlite' },
    daprd: { type: 'string', default: 'patched' },
  },
});
const numbers = (s: string) => s.split(',').filter(Boolean).map(Number);
for (const pages of numbers(values.pages)) await invoiceOf(pages);
await benchAgainstReference('dapr', {
  pages: numbers(values.pages),
  latencies: numbers(values.latencies),
  runs: Number(values.runs),
  settings: { state: values.state, daprd: values.daprd },
  label: `state.${values.state}, daprd 1.18.2 ${values.daprd}`,
  // The stock-daprd run is the "before" of the patch; it must not overwrite the stack's result.
  file: values.daprd === 'stock' ? 'dapr-stock-daprd-bench.json' : undefined,
});
