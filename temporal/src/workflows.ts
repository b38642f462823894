/**
 * The invoice flow on Temporal: split, one extract per page in parallel, aggregate, all within
 * the run's deadline; then, for an invoice with discrepancies, a wait for a person's decision.
 *
 * This file is bundled into Temporal's deterministic workflow sandbox, so it imports only types,
 * the task-queue names and pure rules and constants: no Node modules, no I/O, no clocks. Only blob keys travel
 * through workflow history (claim-check); page data stays in blob storage.
 */

import {
  APPROVAL_EVENT,
  AWAITING_APPROVAL,
  approvalOf,
  deadlineMessage,
  needsApproval,
} from '@invoice/shared/flow/approval';
import { SPLIT_RETRY_POLICY } from '@invoice/shared/flow/split-policy';
import type { ApprovalDecision, WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { LLM_RETRY_POLICY as P } from '@invoice/shared/llm/retry-policy';
import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineSignal,
  proxyActivities,
  type RetryPolicy,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertMemo,
} from '@temporalio/workflow';
import type { TemporalActivities } from './activities';
import { STAGE_MEMO, TASK_QUEUES } from './task-queues';

/**
 * The shared policy in Temporal's terms. Temporal's server-side backoff has no jitter; the
 * activity wrapper adds it by sending `nextRetryDelay` with each retryable failure (see
 * activities.ts), so server-computed delays only apply to timeouts.
 */
export const retry: RetryPolicy = {
  maximumAttempts: P.maxAttempts,
  initialInterval: P.initialDelayMs,
  backoffCoefficient: P.backoffMultiplier,
  maximumInterval: P.maxDelayMs,
};

/**
 * heartbeatTimeout lets the server notice a killed worker in seconds rather than after
 * startToCloseTimeout. Split gets more: rendering pages can hold the event loop for a while.
 */
const on = (taskQueue: string, startToCloseTimeout: number, heartbeatTimeout = 10_000): ActivityOptions => ({
  taskQueue,
  startToCloseTimeout,
  heartbeatTimeout,
  retry,
});

const { split } = proxyActivities<TemporalActivities>({
  ...on(TASK_QUEUES.split, 10 * 60_000, 15_000),
  retry: {
    maximumAttempts: SPLIT_RETRY_POLICY.maxAttempts,
    initialInterval: SPLIT_RETRY_POLICY.initialDelayMs,
    backoffCoefficient: SPLIT_RETRY_POLICY.backoffMultiplier,
    maximumInterval: SPLIT_RETRY_POLICY.maxDelayMs,
  },
});
// One LLM call per attempt: the client's own attempt timeout fires first; this is the backstop.
const { extract } = proxyActivities<TemporalActivities>(on(TASK_QUEUES.extract, P.attemptTimeoutMs + 5_000));
const { aggregate, recordDecision } = proxyActivities<TemporalActivities>(
  on(TASK_QUEUES.aggregate, 2 * 60_000),
);

/** A person's decision (POST /api/invoices/:id/approval), sent as a Temporal signal. */
export const approvalSignal = defineSignal<[ApprovalDecision]>(APPROVAL_EVENT);

export async function invoiceWorkflow(input: WorkflowInput): Promise<WorkflowOutput> {
  const { invoiceId, pdfKey, acceptedAt } = input;
  // Registered before the first await so no signal is ever unhandled; only the first decision
  // made while the run waits counts (a late one, or one after the timeout, changes nothing).
  let waiting = false;
  let decision: ApprovalDecision | undefined;
  setHandler(approvalSignal, (d) => {
    if (waiting) decision ??= d;
  });

  const result = await withinDeadline(input.deadlineMs, async () => {
    const pages = await split({ invoiceId, pdfKey }).catch((error: unknown) => {
      throw workerLost(error);
    });
    const extractions = await Promise.all(pages.pages.map((page) => extract({ invoiceId, page })));
    return aggregate({ invoiceId, acceptedAt, split: pages.span, extractions });
  });
  if (!needsApproval(input, result)) return result;

  // The wait is a durable server-side timer plus the signal: between the two the run has no
  // workflow task, so it holds no worker slot (the worker may even evict it from its cache).
  waiting = true;
  upsertMemo({ [STAGE_MEMO]: AWAITING_APPROVAL });
  const decided = await condition(() => decision !== undefined, input.approvalTimeoutMs!);
  waiting = false;
  upsertMemo({ [STAGE_MEMO]: undefined });
  return recordDecision({
    invoiceId,
    invoiceKey: result.invoiceKey,
    approval: approvalOf(decided ? decision : undefined),
  });
}

/**
 * Races `work` against a durable timer of deadlineMs (none when absent: runs started before the
 * deadline existed). The loser is cancelled with its scope: a timer that lost is cancelled on
 * the server; activities still scheduled are dropped there and running ones learn it at their
 * next heartbeat (cancellationSignal aborts the LLM call). The run then fails with the code.
 */
async function withinDeadline<T>(deadlineMs: number | undefined, work: () => Promise<T>): Promise<T> {
  if (!deadlineMs) return work();
  return CancellationScope.cancellable(async () => {
    const expired = sleep(deadlineMs).then(() => {
      throw ApplicationFailure.nonRetryable(deadlineMessage(deadlineMs), 'DeadlineExceeded');
    });
    try {
      return await Promise.race([work(), expired]);
    } finally {
      CancellationScope.current().cancel();
    }
  });
}

/**
 * Split's attempts all ended in a timeout: its worker died (or hung) each time, the mark of a
 * poison pill. Said with a clear code instead of "activity Heartbeat timeout".
 */
function workerLost(error: unknown): unknown {
  if (!(error instanceof ActivityFailure && error.cause instanceof TimeoutFailure)) return error;
  return ApplicationFailure.nonRetryable(
    `worker_lost: split lost its worker on each of its ${SPLIT_RETRY_POLICY.maxAttempts} attempts (${error.cause.message})`,
    'WorkerLost',
  );
}
