import * as df from 'durable-functions';
import { aggregateInvoice, extractPage, recordDecision, splitPdf } from './activities';
import { app } from './azure-functions';
import { invoiceApi } from './http';
import { ACTIVITY, ORCHESTRATOR } from './names';
import { invoiceOrchestrator } from './orchestrator';

/**
 * The Functions app's entry point (package.json "main"): every function the host indexes.
 * host.json sets routePrefix to "" so the contract's /api/invoices and /healthz paths are served
 * as written.
 */
df.app.orchestration(ORCHESTRATOR, invoiceOrchestrator);
df.app.activity(ACTIVITY.split, { handler: splitPdf });
df.app.activity(ACTIVITY.extract, { handler: extractPage });
df.app.activity(ACTIVITY.aggregate, { handler: aggregateInvoice });
df.app.activity(ACTIVITY.recordDecision, { handler: recordDecision });

app.http('invoiceApi', {
  route: '{*path}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: invoiceApi,
});

export { aggregateInvoice, extractPage, invoiceApi, invoiceOrchestrator, recordDecision, splitPdf };
