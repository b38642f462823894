import { backoffDelayMs, LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { describe, expect, it } from 'vitest';
import { llmRetryOptions } from '../src/retry-options';
import { retryDelayMs } from '../test-host/replay-host';

describe('LLM_RETRY_POLICY as Durable Functions RetryOptions', () => {
  const options = llmRetryOptions();

  it('maps attempts, first interval, coefficient and cap one to one', () => {
    expect(options).toMatchObject({
      maxNumberOfAttempts: LLM_RETRY_POLICY.maxAttempts,
      firstRetryIntervalInMilliseconds: LLM_RETRY_POLICY.initialDelayMs,
      backoffCoefficient: LLM_RETRY_POLICY.backoffMultiplier,
      maxRetryIntervalInMilliseconds: LLM_RETRY_POLICY.maxDelayMs,
    });
  });

  it('gives the same un-jittered delays as the shared policy (the test host computes them like the framework)', () => {
    const attempts = Array.from({ length: LLM_RETRY_POLICY.maxAttempts }, (_, i) => i + 1);
    const durable = attempts.map((n) => retryDelayMs(options, n));
    expect(durable).toEqual(attempts.map((n) => backoffDelayMs(LLM_RETRY_POLICY, n)));
    expect(durable).toEqual([100, 200, 400, 800, 1600, 2000]);
  });
});
