import { LlmCallError } from '@invoice/shared/llm/client';
import { backoffDelayMs, LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { toTemporalFailure } from './activities';

const asFailure = (value: unknown) => {
  expect(value).toBeInstanceOf(ApplicationFailure);
  return value as ApplicationFailure;
};

describe('toTemporalFailure', () => {
  it('makes a non-retryable LLM error (4xx) non-retryable for Temporal', () => {
    const failure = asFailure(toTemporalFailure(new LlmCallError('bad request', 400, false), 1));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('LlmCallError');
  });

  it("honours the server's Retry-After on a 429", () => {
    const failure = asFailure(toTemporalFailure(new LlmCallError('slow down', 429, true, 1_500), 2));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(1_500);
  });

  it('sends the shared policy’s jittered backoff for the attempt that failed', () => {
    for (const attempt of [1, 2, 3, 4, 5]) {
      const failure = asFailure(toTemporalFailure(new LlmCallError('boom', 500, true), attempt));
      const base = backoffDelayMs(LLM_RETRY_POLICY, attempt);
      expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(Math.floor(base * (1 - LLM_RETRY_POLICY.jitter)));
      expect(failure.nextRetryDelay).toBeLessThanOrEqual(Math.ceil(base * (1 + LLM_RETRY_POLICY.jitter)));
    }
  });

  it('leaves other errors alone, so the RetryPolicy applies as configured', () => {
    const error = new Error('disk full');
    expect(toTemporalFailure(error, 1)).toBe(error);
  });
});
