import type { Approval } from '../domain/schemas';

/**
 * What travels between the steps of the flow. Only blob keys and small numbers: page data,
 * extractions and the invoice itself stay in blob storage (claim-check), so workflow history
 * stays small whatever the page count.
 */
export type WorkflowInput = {
  invoiceId: string;
  pdfKey: string;
  acceptedAt: number;
  /** sha256 of the uploaded PDF, only on runs started with an Idempotency-Key (see contract/idempotency) */
  bodySha256?: string;
  /**
   * The run's limits (contract/run-limits.ts), fixed by the API at upload so the workflow reads
   * them from its input, deterministically: split + extract + aggregate must end within
   * deadlineMs of the run's start (else `deadline_exceeded`); a run with discrepancies waits at
   * most approvalTimeoutMs for a decision (else `rejected`, `approval_timeout`). Absent on runs
   * started before they existed: then the flow applies neither.
   */
  deadlineMs?: number;
  approvalTimeoutMs?: number;
};

export type PageRef = {
  pageNumber: number;
  /** the scale the page was rendered at: 1, or less for a page larger than the pixel budget */
  renderScale: number;
  pdfKey: string;
  pngKey: string;
  textKey: string;
};

/** Wall-clock span of one activity, measured inside the activity. */
export type Span = { startedAt: number; finishedAt: number };

export type SplitInput = { invoiceId: string; pdfKey: string };
export type SplitResult = { pages: PageRef[]; span: Span };

export type ExtractInput = { invoiceId: string; page: PageRef };
export type ExtractResult = { pageNumber: number; extractionKey: string; attempts: number; span: Span };

export type AggregateInput = {
  invoiceId: string;
  acceptedAt: number;
  split: Span;
  extractions: ExtractResult[];
};
export type AggregateResult = { invoiceKey: string; pageCount: number; discrepancyCount: number };

/** The decision an approver sends (POST /api/invoices/:id/approval), as the workflow receives it. */
export type ApprovalDecision = { approved: boolean; note: string | null };
export type RecordDecisionInput = { invoiceId: string; invoiceKey: string; approval: Approval };
export type RecordDecisionResult = AggregateResult & { approval: Approval };

/** What every workflow returns: the aggregate, and the decision when the run waited for one. */
export type WorkflowOutput = AggregateResult & { approval?: Approval };

/** Per-step wall time measured inside the stack (see contract/types). */
export type Timings = {
  totalMs: number;
  splitMs: number;
  extractMs: number;
  aggregateMs: number;
  /** totalMs minus the time spent inside activities on the critical path. */
  orchestrationMs: number;
  /** the gaps orchestrationMs is made of (absent from timings written before they existed) */
  queueMs?: number;
  dispatchGapMs?: number;
  collectGapMs?: number;
  /** median duration of one extract activity, measured inside it */
  extractActivityMs?: number;
};

/** The three activity roles, by the names their services and engines register them under. */
export const ACTIVITY_NAMES = ['split', 'extract', 'aggregate'] as const;
export type ActivityName = (typeof ACTIVITY_NAMES)[number];
/**
 * recordDecision (an approved or rejected invoice rewritten with its decision) is small and
 * rare, so it runs in the aggregate role's service and worker rather than in a fourth one.
 */
export const SERVICE_ACTIVITIES = {
  split: ['split'],
  extract: ['extract'],
  aggregate: ['aggregate', 'recordDecision'],
} as const satisfies Record<ActivityName, readonly string[]>;
