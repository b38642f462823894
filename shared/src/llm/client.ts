import { setTimeout as sleep } from 'node:timers/promises';
import { PageExtraction } from '../domain/schemas';
import { jitteredDelayMs, LLM_RETRY_POLICY, type RetryPolicy } from './retry-policy';

/**
 * A failed call to the LLM. `retryable` follows the policy: 429, 5xx and timeouts are worth
 * another attempt, other 4xx are not. `retryAfterMs` carries the server's Retry-After.
 */
export class LlmCallError extends Error {
  override readonly name = 'LlmCallError';
  constructor(
    message: string,
    readonly status: number | 'timeout' | 'network',
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type ExtractRequest = { pageKey: string; pageNumber: number };
export type ExtractResponse = { extraction: PageExtraction; attempts: number };

export interface LlmClient {
  /** signal: the run was cancelled; the call in flight is aborted and no retry follows. */
  extract(request: ExtractRequest, signal?: AbortSignal): Promise<ExtractResponse>;
}

export type LlmClientOptions = {
  baseUrl: string;
  /**
   * 'in-process': this client retries per the policy (the reference pipeline).
   * 'engine': one attempt; the orchestrator's own retry policy (the same constant) retries.
   */
  retries: 'in-process' | 'engine';
  policy?: RetryPolicy;
  attemptTimeoutMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
};

export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function attemptOnce(
  baseUrl: string,
  request: ExtractRequest,
  timeoutMs: number,
  cancelled?: AbortSignal,
): Promise<PageExtraction> {
  let response: Response;
  try {
    response = await fetch(new URL('/v1/extract', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: cancelled
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), cancelled])
        : AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (cancelled?.aborted) throw cancelled.reason;
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new LlmCallError(
      timedOut ? `LLM call timed out after ${timeoutMs} ms` : `LLM unreachable: ${(error as Error).message}`,
      timedOut ? 'timeout' : 'network',
      true,
    );
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    const retryable = response.status === 429 || response.status >= 500;
    throw new LlmCallError(
      `LLM answered ${response.status}: ${body.slice(0, 200)}`,
      response.status,
      retryable,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
  return PageExtraction.parse(await response.json());
}

export function createLlmClient(options: LlmClientOptions): LlmClient {
  const policy = options.policy ?? LLM_RETRY_POLICY;
  const timeoutMs = options.attemptTimeoutMs ?? LLM_RETRY_POLICY.attemptTimeoutMs;
  const wait = options.sleep ?? sleep;
  const maxAttempts = options.retries === 'engine' ? 1 : policy.maxAttempts;
  return {
    async extract(request, cancelled) {
      for (let attempt = 1; ; attempt++) {
        try {
          const extraction = await attemptOnce(options.baseUrl, request, timeoutMs, cancelled);
          return { extraction, attempts: attempt };
        } catch (error) {
          cancelled?.throwIfAborted();
          if (!(error instanceof LlmCallError) || !error.retryable || attempt >= maxAttempts) throw error;
          const backoff = jitteredDelayMs(policy, attempt, options.random);
          await wait(Math.max(backoff, error.retryAfterMs ?? 0));
        }
      }
    },
  };
}

export function llmClientFromEnv(retries: LlmClientOptions['retries'], env = process.env): LlmClient {
  return createLlmClient({
    baseUrl: env.LLM_URL ?? 'http://127.0.0.1:8090',
    retries,
    attemptTimeoutMs: env.LLM_TIMEOUT_MS ? Number(env.LLM_TIMEOUT_MS) : undefined,
  });
}
