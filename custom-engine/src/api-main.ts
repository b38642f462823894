import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import { createInvoiceApp } from '@invoice/shared/contract/app';
import { serveApp } from '@invoice/shared/contract/serve';
import { engineApi } from './engine/api';
import { EngineClient } from './engine/engine';
import { openStore } from './engine/store';
import { INVOICE_ACTIONS, invoiceWorkflow } from './invoice-workflow';
import { engineOrchestrator } from './orchestrator';

/**
 * The API process: the common invoice contract (/api/invoices, /healthz) and the engine's own
 * REST API (/workflows, /executions) on one port. It only writes to the store; worker
 * processes (worker-main.ts) run the steps. Env: DATABASE_URL (PostgreSQL) or CE_SQLITE_PATH,
 * PORT, HOST, BLOB_*.
 */
const store = await openStore();
const client = new EngineClient(store, INVOICE_ACTIONS);
await client.register(invoiceWorkflow);
const app = createInvoiceApp({ orchestrator: engineOrchestrator(client), blobs: blobStoreFromEnv() });
app.route('/', engineApi(client));
const served = await serveApp(app);
console.log(`[custom-engine] API listening on ${served.url} (store: ${store.dialect})`);

const shutdown = async () => {
  await served.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
