/**
 * The API process: the common HTTP contract (shared) on top of the Temporal client.
 * Env: PORT (3000), HOST (127.0.0.1), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, BLOB_STORE/BLOB_DIR.
 */
import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import { Client, Connection } from '@temporalio/client';
import { intFromEnv, temporalEnv } from './env';
import { temporalOrchestrator } from './orchestrator';

const connection = await Connection.connect({ address: temporalEnv.address });
const client = new Client({ connection, namespace: temporalEnv.namespace });
await serveInvoiceApi({ orchestrator: temporalOrchestrator(client), port: intFromEnv('PORT', 3000) });
