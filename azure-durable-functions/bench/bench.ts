/**
 * Durable Functions against the reference pipeline, N = 1, 10, 50, 200 at L = 0 and 500 ms, with
 * the shared harness (tools/src/bench/compare-bench.ts; the reference also keeps its blobs on
 * Azurite, as this stack does). Requests go through the app's HTTP starter and durable client.
 * Labelled for what it is: the SDK's replay executor on our test
 * host, NOT the Azure Functions host. Writes docs/results/azure-durable-functions-bench.json.
 *
 *   pnpm --filter @invoice/azure-durable-functions bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { benchAgainstReference } from '@invoice/tools/bench/compare-bench';
import { invoiceOf } from '@invoice/tools/bench/e2e';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1,10,50,200' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '3' },
  },
});
const numbers = (s: string) => s.split(',').filter(Boolean).map(Number);
for (const pages of numbers(values.pages)) await invoiceOf(pages);
await benchAgainstReference('azure-durable-functions', {
  pages: numbers(values.pages),
  latencies: numbers(values.latencies),
  runs: Number(values.runs),
  label:
    "through the app's HTTP starter and durable client; SDK replay on the test host, not the Functions host",
});
