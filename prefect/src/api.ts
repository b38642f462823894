import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import { prefectOrchestrator } from './orchestrator';

/** The contract API of the Prefect stack (env: PORT, HOST, PREFECT_API_URL, BLOB_STORE/BLOB_DIR). */
const orchestrator = prefectOrchestrator();
orchestrator.watchCrashes();
await serveInvoiceApi({ orchestrator });
