/**
 * Per-step overhead of the custom engine at L = 0 (handlers that do nothing), on SQLite and on
 * PostgreSQL. Not a test: it prints and writes docs/results/custom-engine-step-overhead.json.
 *
 * - latency: a chain of CHAIN no-op steps, run RUNS times; one durable step = the time from
 *   one step's handler start to the next one's (claim txn + finish txn + wake-up + context load).
 * - throughput: one map of FANOUT no-op items on one worker; steps/s over the whole fan-out.
 *
 * Usage: pnpm --filter @invoice/custom-engine bench   (env: CHAIN, RUNS, FANOUT, STORES=sqlite,postgres)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '@invoice/tools/engines/postgres';
import { PostgresDb, SqliteDb } from '../src/engine/db';
import { EngineClient } from '../src/engine/engine';
import { SqlStore } from '../src/engine/store';
import { Worker } from '../src/engine/worker';

const CHAIN = Number(process.env.CHAIN ?? 50);
const RUNS = Number(process.env.RUNS ?? 20);
const FANOUT = Number(process.env.FANOUT ?? 1000);
const STORES = (process.env.STORES ?? 'sqlite,postgres').split(',');

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (n: number) => Math.round(n * 1000) / 1000;

async function measure(store: SqlStore) {
  const marks: number[] = [];
  const handlers = {
    noop: () => {
      marks.push(performance.now());
      return null;
    },
    list: () => Array.from({ length: FANOUT }, (_, i) => i),
  };
  const client = new EngineClient(store, Object.keys(handlers));
  await client.register({
    id: 'chain',
    steps: Array.from({ length: CHAIN }, (_, i) => ({
      id: `s${i}`,
      action: 'noop',
      dependencies: i === 0 ? [] : [`s${i - 1}`],
    })),
  });
  await client.register({
    id: 'fanout',
    steps: [
      { id: 'list', action: 'list' },
      { id: 'each', type: 'map', action: 'noop', items: 'list', dependencies: ['list'] },
    ],
  });
  const worker = new Worker({ store, handlers, concurrency: 100 }).start();

  // Warm-up (prepared statements, JIT), then the measured chain runs.
  await client.wait((await client.start({ workflowId: 'chain' })).execution.id, 60_000);
  const perStep: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    marks.length = 0;
    const { execution } = await client.start({ workflowId: 'chain' });
    const done = await client.wait(execution.id, 120_000);
    if (done?.status !== 'completed') throw new Error(`chain run ended ${done?.status}`);
    for (let i = 1; i < marks.length; i++) perStep.push((marks[i] as number) - (marks[i - 1] as number));
  }
  perStep.sort((a, b) => a - b);

  marks.length = 0;
  const t0 = performance.now();
  const { execution } = await client.start({ workflowId: 'fanout' });
  const done = await client.wait(execution.id, 300_000);
  if (done?.status !== 'completed') throw new Error(`fan-out ended ${done?.status}`);
  const fanoutMs = performance.now() - t0;
  await worker.stop();
  return {
    chain: {
      steps: perStep.length,
      p50Ms: round(pct(perStep, 50)),
      p95Ms: round(pct(perStep, 95)),
      meanMs: round(perStep.reduce((a, b) => a + b, 0) / perStep.length),
      stepsPerSecond: Math.round(1000 / (perStep.reduce((a, b) => a + b, 0) / perStep.length)),
    },
    fanout: {
      items: FANOUT,
      // items + list + the map's own expansion step
      durableSteps: FANOUT + 2,
      totalMs: Math.round(fanoutMs),
      stepsPerSecond: Math.round(((FANOUT + 2) * 1000) / fanoutMs),
    },
  };
}

const results: Record<string, unknown> = {};
if (STORES.includes('sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'ce-bench-'));
  const store = new SqlStore(new SqliteDb(join(dir, 'bench.db')));
  await store.init();
  results.sqlite = { settings: 'WAL, synchronous=NORMAL', ...(await measure(store)) };
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  console.log('sqlite', JSON.stringify(results.sqlite));
}
if (STORES.includes('postgres')) {
  const pg = await startPostgres();
  try {
    const store = new SqlStore(new PostgresDb(pg.url, 20));
    await store.init();
    results.postgres = {
      settings: 'PostgreSQL 15 defaults (fsync on, synchronous_commit on), local TCP',
      ...(await measure(store)),
    };
    await store.close();
    console.log('postgres', JSON.stringify(results.postgres));
  } finally {
    await pg.stop();
  }
}

const out = {
  benchmark: 'custom-engine step overhead at L=0',
  date: new Date().toISOString(),
  machine: { node: process.version, platform: process.platform },
  parameters: { chainLength: CHAIN, runs: RUNS, fanout: FANOUT, workerConcurrency: 100 },
  target: 'p50 <= 2 ms per durable step on SQLite',
  results,
};
const file = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../docs/results/custom-engine-step-overhead.json',
);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
