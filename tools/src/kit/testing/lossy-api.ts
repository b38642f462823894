import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import type { InvoiceOrchestrator } from '@invoice/shared/contract/types';
import { activitiesFromEnv } from '@invoice/shared/flow/activities';
import { referenceOrchestrator } from '../../reference/pipeline';

/**
 * A deliberately broken stack for the kit's own tests: it accepts every invoice but silently
 * forgets every LOSE_EVERY-th one, the failure the chaos tool exists to catch.
 */
const inner = referenceOrchestrator(activitiesFromEnv({ retries: 'in-process' }));
const every = Number(process.env.LOSE_EVERY ?? 3);
let accepted = 0;
const lossy: InvoiceOrchestrator = {
  ...inner,
  name: 'lossy',
  async start(input) {
    accepted++;
    if (accepted % every === 0) return;
    await inner.start(input);
  },
};
await serveInvoiceApi({ orchestrator: lossy });
