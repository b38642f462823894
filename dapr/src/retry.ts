import type { Task, WorkflowContext } from '@dapr/dapr';
import { jitteredDelayMs, type RetryPolicy } from '@invoice/shared/llm/retry-policy';

/**
 * What a workflow-side activity returns: the value, or why this attempt failed. Activities
 * report failures as values (rather than throwing) so the workflow can read `retryable` and
 * the server's Retry-After, which a thrown error would flatten into a message string.
 */
export type Attempt<T> =
  | { ok: true; value: T }
  | { ok: false; retryable: boolean; retryAfterMs?: number; error: string };

/** FNV-1a of a string, as a number in [0, 1): the same on every replay, unlike Math.random. */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}

/** One call per item; `attempt` counts from 1 so the activity can report it. */
export type RetriableCall<T> = (attempt: number) => Task<Attempt<T>>;
type Pending = { index: number; attempt: number; kind: 'call' | 'timer' };
/** A durable timer that, when it fires before every call is done, fails the workflow with `message`. */
export type Deadline = { timer: Task<unknown>; message: string };

/**
 * whenAll with a retry policy per call, for @dapr/dapr 3.18, whose callActivity takes no retry
 * policy (dapr/js-sdk #840). All calls start at once. A failed call waits on a durable timer
 * (createTimer, so a crash of the workflow app mid-backoff resumes the wait) and is called
 * again, while the others carry on: a plain whenAll would hold every retry until the slowest
 * call of the round came back. Hence whenAny in a loop, which replays deterministically since
 * the jitter is a hash of (instance, item, attempt). Async generator: the SDK runs only those.
 * A `deadline` timer joins every whenAny: when it wins, the calls still out are abandoned (the
 * SDK cannot cancel an activity) and the error ends the workflow.
 */
export async function* whenAllWithRetries<T>(
  ctx: WorkflowContext,
  policy: RetryPolicy,
  calls: RetriableCall<T>[],
  deadline?: Deadline,
): AsyncGenerator<Task<unknown>, T[], Task<unknown>> {
  const results = new Array<T>(calls.length);
  const pending = new Map<Task<unknown>, Pending>();
  for (const [index, call] of calls.entries()) pending.set(call(1), { index, attempt: 1, kind: 'call' });
  let remaining = calls.length;
  while (remaining > 0) {
    const done = yield ctx.whenAny([...pending.keys(), ...(deadline ? [deadline.timer] : [])]);
    if (done === deadline?.timer) throw new Error(deadline.message);
    const { index, attempt, kind } = pending.get(done)!;
    pending.delete(done);
    if (kind === 'timer') {
      pending.set(calls[index]!(attempt + 1), { index, attempt: attempt + 1, kind: 'call' });
      continue;
    }
    // A thrown activity (a bug, or the SDK failing to run it) counts as a retryable failure.
    const outcome: Attempt<T> = done.isFailed
      ? { ok: false, retryable: true, error: done.getException()?.message ?? 'activity failed' }
      : (done.getResult() as Attempt<T>);
    if (outcome.ok) {
      results[index] = outcome.value;
      remaining--;
      continue;
    }
    if (!outcome.retryable || attempt >= policy.maxAttempts) {
      throw new Error(
        `call ${index + 1} of ${calls.length} failed after ${attempt} attempt(s): ${outcome.error}`,
      );
    }
    const random = () => unitHash(`${ctx.getWorkflowInstanceId()}/${index}/${attempt}`);
    const delayMs = Math.max(jitteredDelayMs(policy, attempt, random), outcome.retryAfterMs ?? 0);
    const timer = ctx.createTimer(new Date(ctx.getCurrentUtcDateTime().getTime() + delayMs));
    pending.set(timer, { index, attempt, kind: 'timer' });
  }
  return results;
}
