/**
 * The one retry policy for calls to the (mock) LLM. Every stack maps it onto its engine:
 * Temporal RetryPolicy, Durable Functions RetryOptions, the Dapr workflow's own timer loop,
 * and the custom engine's step retryPolicy. The in-process client uses it too.
 */
export const LLM_RETRY_POLICY = {
  maxAttempts: 6,
  initialDelayMs: 100,
  backoffMultiplier: 2,
  maxDelayMs: 2_000,
  /** ± fraction of the computed delay, so that retrying pages do not arrive in lockstep. */
  jitter: 0.2,
  /** Per-attempt timeout for one LLM call. */
  attemptTimeoutMs: 30_000,
} as const;

export type RetryPolicy = {
  maxAttempts: number;
  initialDelayMs: number;
  backoffMultiplier: number;
  maxDelayMs: number;
  jitter: number;
};

/** Delay before attempt `attempt + 1` (attempt counts from 1), without jitter. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoffMultiplier ** (attempt - 1));
}

/** Same, with jitter drawn from `random` (injectable so tests need no wall clock or luck). */
export function jitteredDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = backoffDelayMs(policy, attempt);
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random() - 1))));
}
