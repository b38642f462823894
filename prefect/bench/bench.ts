/**
 * The Prefect stack against the reference pipeline, N = 1, 10, 50, 200 at L = 0 and 500 ms, with
 * the shared harness (tools/src/bench/compare-bench.ts). Writes docs/results/prefect-bench.json
 * (prefect-postgres-bench.json with `--variant postgres`).
 *
 *   pnpm --filter @invoice/prefect bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--variant postgres]
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
for (const pages of numbers(values.pages)) await invoiceOf(pages);
await benchAgainstReference('prefect', {
  pages: numbers(values.pages),
  latencies: numbers(values.latencies),
  runs: Number(values.runs),
  settings: { variant: values.variant },
  label: `Prefect 3.9.1 server on ${values.variant}, process worker`,
  file: values.variant === 'postgres' ? 'prefect-postgres-bench.json' : undefined,
});
