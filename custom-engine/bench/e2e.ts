/**
 * The custom-engine stack against the reference pipeline (plain async code, no orchestrator),
 * for N = 1, 10, 50, 200 pages at mock-LLM latency L = 0 and 500 ms, with the shared harness
 * (tools/src/bench/compare-bench.ts). Writes docs/results/custom-engine-bench.json (the last
 * variant run wins; the label field says which). A script, not a test.
 *
 *   pnpm --filter @invoice/custom-engine bench:e2e [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--variant postgres]
 */
import { benchCli } from '@invoice/tools/bench/compare-bench';

await benchCli('custom-engine', { variant: { type: 'string', default: 'sqlite' } }, (v) => ({
  settings: v.variant === 'postgres' ? { variant: 'postgres' } : ({} as Record<string, string>),
  label: v.variant,
}));
