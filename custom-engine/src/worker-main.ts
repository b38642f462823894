import { activitiesFromEnv } from '@invoice/shared/flow/activities';
import { EngineClient } from './engine/engine';
import { openStore } from './engine/store';
import { Worker } from './engine/worker';
import { INVOICE_ACTIONS, invoiceHandlers, invoiceWorkflow } from './invoice-workflow';

/**
 * A worker process: claims step attempts from the store and runs the shared activities.
 * Start as many as you like on PostgreSQL; on SQLite they share one file (one writer at a time).
 * Env: DATABASE_URL or CE_SQLITE_PATH, CE_CONCURRENCY (200), CE_LEASE_MS (30000),
 * CE_POLL_MS (fallback poll: 20 on SQLite, 1000 on PostgreSQL where NOTIFY wakes workers).
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const store = await openStore();
// Registering here too means a worker started first still finds the definition it runs.
await new EngineClient(store, INVOICE_ACTIONS).register(invoiceWorkflow);
const worker = new Worker({
  store,
  handlers: invoiceHandlers(activitiesFromEnv({ retries: 'engine' })),
  concurrency: env('CE_CONCURRENCY', 200),
  leaseMs: env('CE_LEASE_MS', 30_000),
  pollMs: env('CE_POLL_MS', store.dialect === 'sqlite' ? 20 : 1_000),
  log:
    process.env.CE_LOG === 'debug'
      ? (event, detail) => console.log(`[custom-engine] ${event}`, detail)
      : undefined,
}).start();
console.log(`[custom-engine] worker ${worker.id} polling (store: ${store.dialect})`);

const shutdown = async () => {
  await worker.stop();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
