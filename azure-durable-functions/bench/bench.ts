/**
 * Durable Functions against the reference pipeline, N = 1, 10, 50, 200 at L = 0 and 500 ms, with
 * the shared harness (tools/src/bench/compare-bench.ts; the reference also keeps its blobs on
 * Azurite, as this stack does). Requests go through the app's HTTP starter and durable client.
 * Labelled for what it is: the SDK's replay executor on our test
 * host, NOT the Azure Functions host. Writes docs/results/azure-durable-functions-bench.json.
 *
 *   pnpm --filter @invoice/azure-durable-functions bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3]
 */
import { benchCli } from '@invoice/tools/bench/compare-bench';

await benchCli('azure-durable-functions', {}, () => ({
  label:
    "through the app's HTTP starter and durable client; SDK replay on the test host, not the Functions host",
}));
