/**
 * The custom-engine stack against the reference pipeline (plain async code, no orchestrator),
 * for N = 1, 10, 50, 200 pages at mock-LLM latency L = 0 and 500 ms, with the shared harness
 * (tools/src/bench/compare-bench.ts). Writes docs/results/custom-engine-bench.json (the last
 * variant run wins; the label field says which). A script, not a test.
 *
 *   pnpm --filter @invoice/custom-engine bench:e2e [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--variant postgres]
 */
import { parseArgs } from 'node:util';
import { benchAgainstReference } from '@invoice/tools/bench/compare-bench';
import { invoiceOf } from '@invoice/tools/bench/e2e';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1,10,50,200' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '3' },
    variant: { type: 'string', default: 'sqlite' },
  },
});
const numbers = (s: string) => s.split(',').filter(Boolean).map(Number);
// Generate the invoices first: 200 pages block the event loop for a while.
for (const pages of numbers(values.pages)) await invoiceOf(pages);
await benchAgainstReference('custom-engine', {
  pages: numbers(values.pages),
  latencies: numbers(values.latencies),
  runs: Number(values.runs),
  settings: values.variant === 'postgres' ? { variant: 'postgres' } : {},
  label: values.variant,
});
