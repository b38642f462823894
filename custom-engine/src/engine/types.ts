import type { WorkflowDefinition } from './definition';

export type ExecutionStatus =
  | 'running'
  | 'completed'
  | 'failed'
  | 'compensating'
  | 'compensated'
  | 'cancelled'
  /** an `event` step waits for its event (or its timer); no worker holds anything meanwhile */
  | 'suspended';
export const ACTIVE_EXECUTION: readonly ExecutionStatus[] = ['running', 'compensating', 'suspended'];

/**
 * pending: waits for dependencies; ready: runnable from due_at; running: claimed under a lease;
 * waiting: a map whose items run; queued: a map item held back by maxParallelism; suspended: an
 * `event` step that waits for its event, claimable again only at due_at (its timeout).
 */
export type StepStatus =
  | 'pending'
  | 'ready'
  | 'running'
  | 'waiting'
  | 'queued'
  | 'suspended'
  | 'success'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/**
 * task and map rows are the definition's steps; item rows are one map element each; the one
 * deadline row of an execution with a deadline is its durable timer (due at the deadline).
 */
export type StepKind = 'task' | 'map' | 'item' | 'compensation' | 'deadline';

export type StoredWorkflow = {
  id: string;
  version: number;
  definition: WorkflowDefinition;
  createdAt: number;
};

export type ExecutionRecord = {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  input: Record<string, unknown>;
  output?: unknown;
  error?: string;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
};

export type StepRecord = {
  executionId: string;
  stepKey: string;
  stepId: string;
  kind: StepKind;
  itemIndex: number;
  status: StepStatus;
  attempts: number;
  output?: unknown;
  /** What a step reports beside its result (http.request: the response status and headers; skips: why). */
  meta?: Record<string, unknown>;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  leaseOwner?: string;
  dueAt: number;
};

export type AttemptRecord = {
  executionId: string;
  stepKey: string;
  attempt: number;
  workerId: string;
  claimedAt: number;
  finishedAt?: number;
  outcome?: string;
  error?: string;
};

/** A claimed step attempt: the lease is (stepKey, owner, attempt), checked on every write. */
export type Lease = { executionId: string; stepKey: string; owner: string; attempt: number };

export type ClaimedStep = Lease & {
  workflowId: string;
  workflowVersion: number;
  stepId: string;
  kind: StepKind;
  itemIndex: number;
  /** map items: the element; compensations: the output of the step being undone. */
  item?: unknown;
};

export type OutboxMessage = {
  id: number;
  executionId: string;
  event: string;
  url: string;
  payload: unknown;
  attempts: number;
};

export type StepOutcome =
  | { kind: 'success'; output: unknown; meta?: Record<string, unknown> }
  | { kind: 'skipped' }
  /** a map step's evaluated items */
  | { kind: 'expanded'; items: unknown[] }
  | { kind: 'retry'; error: string; retryAt: number }
  /** an `event` step: wait, holding no lease, until the event is delivered or `until` (its timer) */
  | { kind: 'suspended'; event: string; until: number }
  | { kind: 'failed'; error: string };

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  init(): Promise<void>;
  close(): Promise<void>;

  saveWorkflow(def: WorkflowDefinition, now: number): Promise<{ workflow: StoredWorkflow; created: boolean }>;
  getWorkflow(id: string, version?: number): Promise<StoredWorkflow | undefined>;
  listWorkflows(): Promise<StoredWorkflow[]>;

  /** Idempotent on executionId: starting the same id twice returns the first execution. */
  startExecution(p: {
    executionId: string;
    workflowId: string;
    version?: number;
    input: Record<string, unknown>;
    now: number;
  }): Promise<{ execution: ExecutionRecord; created: boolean }>;
  getExecution(id: string): Promise<{ execution: ExecutionRecord; steps: StepRecord[] } | undefined>;
  getExecutionRecord(id: string): Promise<ExecutionRecord | undefined>;
  listExecutions(filter: { workflowId?: string; limit?: number }): Promise<ExecutionRecord[]>;
  cancelExecution(id: string, now: number): Promise<ExecutionRecord | undefined>;
  /**
   * Delivers the event `name` to the execution's `event` step that waits for it: the step
   * becomes ready with the payload stored on its row. `not_waiting` when no step waits for it.
   */
  deliverEvent(
    executionId: string,
    name: string,
    payload: unknown,
    now: number,
  ): Promise<{ delivered: true; stepId: string } | { delivered: false; reason: 'not_found' | 'not_waiting' }>;
  /** The execution input and the outputs of its finished steps, keyed by step id. */
  loadState(
    executionId: string,
  ): Promise<{ input: Record<string, unknown>; results: Record<string, unknown> }>;

  claimSteps(owner: string, max: number, now: number, leaseMs: number): Promise<ClaimedStep[]>;
  heartbeat(lease: Lease, now: number, leaseMs: number): Promise<boolean>;
  /** false when the lease was lost (another worker took over): the outcome is then discarded. */
  finishStep(lease: Lease, outcome: StepOutcome, now: number): Promise<boolean>;
  /** Earliest due time of any ready step or running lease, to sleep until. */
  nextDueAt(): Promise<number | undefined>;
  attempts(executionId?: string): Promise<AttemptRecord[]>;

  claimOutbox(owner: string, max: number, now: number, leaseMs: number): Promise<OutboxMessage[]>;
  outboxDelivered(id: number, owner: string, now: number): Promise<void>;
  outboxFailed(id: number, owner: string, error: string, retryAt: number | undefined): Promise<void>;
  nextOutboxDueAt(): Promise<number | undefined>;
  onOutbox(listener: () => void): () => void;
  outbox(
    executionId: string,
  ): Promise<(OutboxMessage & { status: string; lastError?: string; leased: boolean })[]>;

  /** Local (and, on PostgreSQL, cross-process) wake-ups when steps become ready or messages are queued. */
  onWork(listener: () => void): () => void;
  onExecutionFinished(listener: (executionId: string) => void): () => void;
}

/** The `event` built-in's answer on its first attempt: suspend the step until the event or the timer. */
export class Suspension {
  constructor(
    readonly event: string,
    /** ms from now; undefined waits without a timer */
    readonly timeoutMs: number | undefined,
  ) {}
}

/** What an `event` step's row holds between its attempts (the store writes it, the step reads it). */
export type EventWake =
  | { timeoutAt: number | null }
  | { delivered: true; payload: unknown; deliveredAt: number };

/** A handler's result with what it reports beside it (kept out of the result other steps read). */
export class StepResult {
  constructor(
    readonly result: unknown,
    readonly meta: Record<string, unknown>,
  ) {}
}
