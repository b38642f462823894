/**
 * The Prefect stack against the reference pipeline, N = 1, 10, 50, 200 at L = 0 and 500 ms, with
 * the shared harness (tools/src/bench/compare-bench.ts). Writes docs/results/prefect-bench.json
 * (prefect-postgres-bench.json with `--variant postgres`).
 *
 *   pnpm --filter @invoice/prefect bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--variant postgres]
 */
import { benchCli } from '@invoice/tools/bench/compare-bench';

await benchCli('prefect', { variant: { type: 'string', default: 'sqlite' } }, (v) => ({
  settings: { variant: v.variant! },
  label: `Prefect 3.9.1 server on ${v.variant}, process worker`,
  file: v.variant === 'postgres' ? 'prefect-postgres-bench.json' : undefined,
}));
