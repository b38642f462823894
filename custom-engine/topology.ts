import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec, TopologyFactory } from '../tools/src/launcher/topology';
import { localBlobEnv, mockLlmProcess, tsxCommand } from '../tools/src/topologies/mock-llm';
import { openStore } from './src/engine/store';

/**
 * The custom engine as native processes: the API (contract + engine REST API), worker
 * process(es) and the mock LLM, sharing one store. Default store: a SQLite file in the run
 * folder. Settings: variant=postgres starts a Debian PostgreSQL on a free port as one more
 * process (tools/src/engines/postgres.ts) and points everything at it; workers=N (1) starts N
 * worker processes; CE_CONCURRENCY, CE_LEASE_MS, CE_POLL_MS pass through to the workers; LLM_*
 * to the mock LLM.
 */
const topology: TopologyFactory = async (ctx) => {
  const postgres = ctx.settings.variant === 'postgres';
  const [api] = await Promise.all([ctx.port('api')]);
  const llm = await mockLlmProcess(ctx);
  const apiUrl = `http://127.0.0.1:${api}`;
  const processes: ProcessSpec[] = [llm.process];

  let storeEnv: Record<string, string>;
  if (postgres) {
    const port = await ctx.port('postgres');
    const dataDir = join(ctx.runDir, 'postgres');
    processes.push({
      name: 'postgres',
      kind: 'storage',
      killable: true,
      ...tsxCommand(ctx, 'tools/src/engines/postgres.ts', ['--dir', dataDir, '--port', String(port)]),
      ready: { log: /postgres ready on/ },
      readyTimeoutMs: 60_000,
    });
    storeEnv = { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres` };
  } else {
    mkdirSync(ctx.runDir, { recursive: true });
    storeEnv = { CE_SQLITE_PATH: join(ctx.runDir, 'custom-engine.db') };
  }
  const storage = postgres ? ['postgres'] : [];
  const passThrough = Object.fromEntries(Object.entries(ctx.settings).filter(([k]) => k.startsWith('CE_')));
  const shared = { ...localBlobEnv(ctx), LLM_URL: llm.url, ...storeEnv };

  const workers = Math.max(1, Number(ctx.settings.workers ?? 1));
  for (let i = 1; i <= workers; i++) {
    processes.push({
      name: workers === 1 ? 'worker' : `worker-${i}`,
      kind: 'worker',
      killable: true,
      ...tsxCommand(ctx, 'custom-engine/src/worker-main.ts'),
      env: { ...shared, ...passThrough },
      dependsOn: [...storage, 'mock-llm'],
      ready: { log: /\[custom-engine\] worker .* polling/ },
    });
  }
  processes.push({
    name: 'api',
    kind: 'api',
    killable: true,
    ...tsxCommand(ctx, 'custom-engine/src/api-main.ts'),
    env: { ...shared, ...passThrough, PORT: String(api) },
    dependsOn: storage,
    ready: { http: `${apiUrl}/healthz` },
  });

  return {
    stack: 'custom-engine',
    description: postgres
      ? `custom engine on PostgreSQL (Debian binaries), ${workers} worker process(es), SKIP LOCKED claims`
      : `custom engine on SQLite (WAL file in the run folder), ${workers} worker process(es)`,
    processes,
    apiUrl,
    llmUrl: llm.url,
    links: { 'engine API': `${apiUrl}/workflows` },
    orchestrationFile: 'custom-engine/src/invoice-workflow.ts',
    extractWorkers: processes.filter((p) => p.kind === 'worker').map((p) => p.name),
    // The rows one execution left in the store: execution, steps (one per page), attempts, outbox.
    async stateSize(invoiceId) {
      const store = await openStore({
        databaseUrl: storeEnv.DATABASE_URL,
        sqlitePath: storeEnv.CE_SQLITE_PATH,
      });
      try {
        const { bytes, rows } = await store.footprint(invoiceId);
        return { bytes, events: rows, what: `${postgres ? 'PostgreSQL' : 'SQLite'} rows (events = rows)` };
      } finally {
        await store.close();
      }
    },
    sharedEnv: shared,
  };
};
export default topology;
