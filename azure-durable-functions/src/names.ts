/** Function names as registered with the Functions host; history refers to activities by name. */
export const ORCHESTRATOR = 'invoiceOrchestrator';
export const ACTIVITY = { split: 'splitPdf', extract: 'extractPage', aggregate: 'aggregateInvoice' } as const;
