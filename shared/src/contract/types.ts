import type { Invoice, InvoiceStatus } from '../domain/schemas';
import type { ApprovalDecision, Timings, WorkflowInput, WorkflowOutput } from '../flow/types';

export type { InvoiceStatus };

/** The statuses a run never leaves. */
export const FINAL_STATUSES: readonly InvoiceStatus[] = ['completed', 'failed', 'cancelled', 'rejected'];
export const isFinal = (status: InvoiceStatus) => FINAL_STATUSES.includes(status);

/**
 * Production behaviours beyond the happy path (issue 16). Every stack must declare each one with
 * the engine mechanism it maps onto; the app answers 501 for an undeclared one and the
 * conformance suite checks the declaration, so a stack without it fails loudly, never skips.
 */
export const PRODUCTION_BEHAVIOURS = [
  'idempotentUpload',
  'cancel',
  'approval',
  'deadline',
  'workers',
] as const;
export type ProductionBehaviour = (typeof PRODUCTION_BEHAVIOURS)[number];
/** behaviour -> one line naming the engine mechanism (shown by GET /healthz) */
export type Behaviours = Partial<Record<ProductionBehaviour, string>>;

export type ErrorBody = { error: { code: string; message: string } };
export type AcceptedBody = { id: string; statusUrl: string };
export type HealthBody = { status: 'ok'; orchestrator: string; behaviours: Behaviours };
export type StatusBody = {
  id: string;
  status: InvoiceStatus;
  invoice?: Invoice;
  error?: string;
  timings?: Timings;
};

/** What an orchestrator reports about one run; the contract app turns it into a StatusBody. */
export type RunState = {
  status: InvoiceStatus;
  output?: WorkflowOutput;
  error?: string;
  /** the bodySha256 of the run's input, read back from the engine's own state (idempotent upload) */
  bodySha256?: string;
};

/**
 * The seam between the shared HTTP contract and one orchestrator. Each stack implements these
 * few methods with its engine's client; everything else (validation, blob upload, error shape,
 * reading the claim-checked invoice) is shared.
 */
export interface InvoiceOrchestrator {
  readonly name: string;
  readonly behaviours: Behaviours;
  /**
   * Starts the run with id input.invoiceId. A run with that id that already exists is not an
   * error and is never started twice: the engine's duplicate policy decides (see each SPEC).
   */
  start(input: WorkflowInput): Promise<void>;
  /** undefined when the engine knows no run with this id. */
  status(invoiceId: string): Promise<RunState | undefined>;
  /**
   * Resolves when the run is final (completed, failed, cancelled, rejected) or awaiting_approval,
   * or with its current state at the timeout.
   */
  wait(invoiceId: string, timeoutMs: number): Promise<RunState>;
  /** true once the engine can take work. */
  ready(): Promise<boolean>;
  /** Asks the engine to end a run that is not final as `cancelled` (behaviour `cancel`). */
  cancel?(invoiceId: string): Promise<void>;
  /**
   * Delivers a person's decision to a run in `awaiting_approval` (behaviour `approval`) through
   * the engine's own event primitive, named APPROVAL_EVENT (flow/approval.ts).
   */
  approve?(invoiceId: string, decision: ApprovalDecision): Promise<void>;
}
