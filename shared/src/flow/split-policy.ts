import type { RetryPolicy } from '../llm/retry-policy';

/**
 * How often split is tried. It touches only the blob store, so a few attempts cover a hiccup or
 * a restarting split worker (the first retry comes after 2 s, about what a restart takes); more
 * would only repeat a poison pill, an upload whose split kills its worker every time.
 * Pure data: Temporal's workflow sandbox imports it.
 */
export const SPLIT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 2_000,
  backoffMultiplier: 2,
  maxDelayMs: 8_000,
  jitter: 0.2,
};
