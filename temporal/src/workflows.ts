/**
 * The invoice flow on Temporal: split, one extract per page in parallel, aggregate.
 *
 * This file is bundled into Temporal's deterministic workflow sandbox, so it imports only types,
 * the task-queue names and the pure retry-policy constant: no Node modules, no I/O, no clocks. Only blob keys travel
 * through workflow history (claim-check); page data stays in blob storage.
 */

import { SPLIT_RETRY_POLICY } from '@invoice/shared/flow/split-policy';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { LLM_RETRY_POLICY as P } from '@invoice/shared/llm/retry-policy';
import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  proxyActivities,
  type RetryPolicy,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { TemporalActivities } from './activities';
import { TASK_QUEUES } from './task-queues';

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
const { aggregate } = proxyActivities<TemporalActivities>(on(TASK_QUEUES.aggregate, 2 * 60_000));

export async function invoiceWorkflow(input: WorkflowInput): Promise<WorkflowOutput> {
  const { invoiceId, pdfKey, acceptedAt } = input;
  const pages = await split({ invoiceId, pdfKey }).catch((error: unknown) => {
    throw workerLost(error);
  });
  const extractions = await Promise.all(pages.pages.map((page) => extract({ invoiceId, page })));
  return aggregate({ invoiceId, acceptedAt, split: pages.span, extractions });
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
