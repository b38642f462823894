import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { type Served, serveApp } from '../contract/serve';
import { createLlmClient, LlmCallError, parseRetryAfter } from './client';
import { backoffDelayMs, jitteredDelayMs, LLM_RETRY_POLICY } from './retry-policy';

const EXTRACTION = { pageNumber: 1, lineItems: [] };

/** A stand-in LLM that answers a scripted list of statuses, then 200. */
function scriptedServer(script: Array<{ status: number; retryAfter?: string; delayMs?: number }>) {
  let calls = 0;
  const app = new Hono().post('/v1/extract', async (c) => {
    const step = script[calls++];
    if (step?.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (!step || step.status === 200) return c.json(EXTRACTION);
    if (step.retryAfter) c.header('Retry-After', step.retryAfter);
    return c.json({ error: { code: 'x', message: 'scripted' } }, step.status as 429);
  });
  return { app, calls: () => calls };
}

let served: Served | undefined;
afterAll(() => served?.close());
async function clientFor(
  script: Parameters<typeof scriptedServer>[0],
  options: { retries?: 'in-process' | 'engine'; attemptTimeoutMs?: number } = {},
) {
  await served?.close();
  const server = scriptedServer(script);
  served = await serveApp(server.app);
  const delays: number[] = [];
  const client = createLlmClient({
    baseUrl: served.url,
    retries: options.retries ?? 'in-process',
    attemptTimeoutMs: options.attemptTimeoutMs,
    random: () => 0.5, // no jitter: delays are exactly the backoff
    sleep: async (ms) => void delays.push(ms),
  });
  return { client, delays, calls: server.calls };
}

describe('LLM client retries (policy from LLM_RETRY_POLICY, no wall clock)', () => {
  it('backs off exponentially on 5xx and 429 and reports the attempts', async () => {
    const { client, delays, calls } = await clientFor([{ status: 500 }, { status: 503 }, { status: 429 }]);
    const result = await client.extract({ pageKey: 'k', pageNumber: 1 });
    expect(result.attempts).toBe(4);
    expect(calls()).toBe(4);
    expect(delays).toEqual([1, 2, 3].map((a) => backoffDelayMs(LLM_RETRY_POLICY, a)));
  });

  it('honours Retry-After when it is longer than the backoff', async () => {
    const { client, delays } = await clientFor([{ status: 429, retryAfter: '3' }]);
    await client.extract({ pageKey: 'k', pageNumber: 1 });
    expect(delays).toEqual([3000]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const failing = Array.from({ length: LLM_RETRY_POLICY.maxAttempts }, () => ({ status: 500 }));
    const { client, calls } = await clientFor(failing);
    await expect(client.extract({ pageKey: 'k', pageNumber: 1 })).rejects.toMatchObject({
      status: 500,
      retryable: true,
    });
    expect(calls()).toBe(LLM_RETRY_POLICY.maxAttempts);
  });

  it('does not retry a 400', async () => {
    const { client, calls } = await clientFor([{ status: 400 }]);
    await expect(client.extract({ pageKey: 'k', pageNumber: 1 })).rejects.toMatchObject({
      status: 400,
      retryable: false,
    });
    expect(calls()).toBe(1);
  });

  it('times out a hanging attempt and retries it', async () => {
    const { client, calls } = await clientFor([{ status: 200, delayMs: 2_000 }], { attemptTimeoutMs: 100 });
    const result = await client.extract({ pageKey: 'k', pageNumber: 1 });
    expect(result.attempts).toBe(2);
    expect(calls()).toBe(2);
  });

  it("in 'engine' mode makes one attempt and hands the engine a typed error with Retry-After", async () => {
    const { client, calls } = await clientFor([{ status: 429, retryAfter: '2' }], { retries: 'engine' });
    const error = await client.extract({ pageKey: 'k', pageNumber: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmCallError);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 2000 });
    expect(calls()).toBe(1);
  });
});

describe('retry policy arithmetic', () => {
  it('caps the delay at maxDelayMs and keeps jitter within ±jitter', () => {
    const policy = { ...LLM_RETRY_POLICY };
    expect(backoffDelayMs(policy, 1)).toBe(policy.initialDelayMs);
    expect(backoffDelayMs(policy, 50)).toBe(policy.maxDelayMs);
    expect(jitteredDelayMs(policy, 1, () => 0)).toBe(Math.round(policy.initialDelayMs * (1 - policy.jitter)));
    expect(jitteredDelayMs(policy, 1, () => 1)).toBe(Math.round(policy.initialDelayMs * (1 + policy.jitter)));
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.25')).toBe(250);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
  });
});
