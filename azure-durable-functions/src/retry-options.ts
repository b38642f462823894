import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import * as df from 'durable-functions';

/**
 * The shared LLM retry policy expressed as Durable Functions RetryOptions. The Durable Task
 * framework waits firstRetryInterval × backoffCoefficient^(n-1), capped at maxRetryInterval,
 * before attempt n+1 (a durable timer in the orchestration history, so a crash between attempts
 * does not reset the count). What cannot be mapped is stated in SPEC.md: jitter (RetryOptions
 * has none), Retry-After (ignored) and per-error "retryable" (the JS SDK has no Handle predicate).
 */
export function llmRetryOptions(policy = LLM_RETRY_POLICY): df.RetryOptions {
  const options = new df.RetryOptions(policy.initialDelayMs, policy.maxAttempts);
  options.backoffCoefficient = policy.backoffMultiplier;
  options.maxRetryIntervalInMilliseconds = policy.maxDelayMs;
  return options;
}
