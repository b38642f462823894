import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import { activitiesFromEnv } from '@invoice/shared/flow/activities';
import { referenceOrchestrator } from './pipeline';

await serveInvoiceApi({ orchestrator: referenceOrchestrator(activitiesFromEnv({ retries: 'in-process' })) });
