/**
 * The shared activities, wrapped for Temporal. The wrapper only translates between the shared
 * code and Temporal: LLM errors become ApplicationFailures carrying the shared policy's jittered
 * delay (or the server's Retry-After), and long activities heartbeat so a killed worker is
 * noticed within the heartbeat timeout.
 */

import type { Activities } from '@invoice/shared/flow/activities';
import { LlmCallError } from '@invoice/shared/llm/client';
import { jitteredDelayMs, LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { isWorkBudgetFailure } from '@invoice/shared/pdf/budget';
import { ApplicationFailure, activityInfo, Context, heartbeat } from '@temporalio/activity';

/**
 * Heartbeat every 2 s while an activity runs. Activities shorter than that (most extracts)
 * send no heartbeat at all, so heartbeats cost nothing on the fast path.
 */
const HEARTBEAT_EVERY_MS = 2_000;

async function withHeartbeat<T>(run: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

/** What Temporal should do with an error from the shared code. */
export function toTemporalFailure(error: unknown, attempt: number): unknown {
  // Over the work budget: the same bytes would cost the same again, so never retried.
  if (isWorkBudgetFailure(error)) {
    return ApplicationFailure.create({
      message: (error as Error).message,
      type: 'WorkBudgetError',
      nonRetryable: true,
      cause: error as Error,
    });
  }
  if (!(error instanceof LlmCallError)) return error; // plain errors: retried per the policy
  if (!error.retryable) {
    return ApplicationFailure.create({
      message: error.message,
      type: 'LlmCallError',
      nonRetryable: true,
      cause: error,
    });
  }
  return ApplicationFailure.create({
    message: error.message,
    type: 'LlmCallError',
    cause: error,
    // Temporal's own backoff has no jitter; the shared policy's jittered delay goes here instead.
    nextRetryDelay: error.retryAfterMs ?? jitteredDelayMs(LLM_RETRY_POLICY, attempt),
  });
}

export function temporalActivities(shared: Activities) {
  const wrap =
    <I, O>(fn: (input: I, cancelled?: AbortSignal) => Promise<O>) =>
    async (input: I): Promise<O> => {
      try {
        // A workflow cancel reaches a running activity only through a heartbeat's answer; the
        // SDK then aborts cancellationSignal, which aborts the LLM call in flight.
        return await withHeartbeat(() => fn(input, Context.current().cancellationSignal));
      } catch (error) {
        throw toTemporalFailure(error, activityInfo().attempt);
      }
    };
  return {
    split: wrap(shared.split),
    extract: wrap(shared.extract),
    aggregate: wrap(shared.aggregate),
    recordDecision: wrap(shared.recordDecision),
  };
}

export type TemporalActivities = ReturnType<typeof temporalActivities>;
