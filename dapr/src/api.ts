import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import { daprOrchestrator } from './orchestrator';

/** The contract API of the Dapr stack (env: PORT, HOST, DAPR_GRPC_PORT/DAPR_HTTP_PORT of the workflow sidecar). */
await serveInvoiceApi({ orchestrator: daprOrchestrator() });
