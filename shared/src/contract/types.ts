import type { Invoice } from '../domain/schemas';
import type { Timings, WorkflowInput, WorkflowOutput } from '../flow/types';

export type InvoiceStatus = 'pending' | 'running' | 'completed' | 'failed';

export type ErrorBody = { error: { code: string; message: string } };
export type AcceptedBody = { id: string; statusUrl: string };
export type StatusBody = {
  id: string;
  status: InvoiceStatus;
  invoice?: Invoice;
  error?: string;
  timings?: Timings;
};

/** What an orchestrator reports about one run; the contract app turns it into a StatusBody. */
export type RunState = { status: InvoiceStatus; output?: WorkflowOutput; error?: string };

/**
 * The seam between the shared HTTP contract and one orchestrator. Each stack implements these
 * few methods with its engine's client; everything else (validation, blob upload, error shape,
 * reading the claim-checked invoice) is shared.
 */
export interface InvoiceOrchestrator {
  readonly name: string;
  start(input: WorkflowInput): Promise<void>;
  /** undefined when the engine knows no run with this id. */
  status(invoiceId: string): Promise<RunState | undefined>;
  /** Resolves when the run is completed or failed, or with its current state at the timeout. */
  wait(invoiceId: string, timeoutMs: number): Promise<RunState>;
  /** true once the engine can take work. */
  ready(): Promise<boolean>;
}
