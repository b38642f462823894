/** Function names as registered with the Functions host; history refers to activities by name. */
export const ORCHESTRATOR = 'invoiceOrchestrator';
export const ACTIVITY = {
  split: 'splitPdf',
  extract: 'extractPage',
  aggregate: 'aggregateInvoice',
  recordDecision: 'recordDecision',
} as const;
/**
 * The custom status a run publishes once its approval wait is over (the event or the timer won):
 * the extension keeps the last non-null custom status, so the wait's `awaiting_approval` must be
 * replaced, not cleared, or status() would still report it while recordDecision runs.
 */
export const DECISION_TAKEN = 'decision_taken';
