/**
 * One task queue per service, as in the original POC: each queue is polled by its own worker
 * process, so each service scales (and crashes) on its own. Workflow-safe: no Node imports, the
 * workflow bundle uses these names for proxyActivities.
 */
export const TASK_QUEUES = {
  /** workflow tasks (the orchestration code itself); hosted by the split worker process */
  workflow: 'invoice-workflow',
  split: 'invoice-split',
  extract: 'invoice-extract',
  aggregate: 'invoice-aggregate',
} as const;

export type Service = 'split' | 'extract' | 'aggregate';

/** The Temporal workflow type the API starts. */
export const WORKFLOW_TYPE = 'invoiceWorkflow';

/**
 * The memo key a run sets to AWAITING_APPROVAL while it waits for a decision (upsertMemo), so
 * that describe(), which status() makes anyway, shows it with no query to a worker.
 */
export const STAGE_MEMO = 'stage';
