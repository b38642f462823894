import { readFile } from 'node:fs/promises';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DaprStack, sample, startDapr, submit, until } from './helpers';

// The Dapr stack on its default state store (state.sqlite), started once for this file.
let stack: DaprStack;
beforeAll(async () => {
  stack = await startDapr({ state: 'sqlite' });
});
afterAll(async () => {
  await stack?.handle.down();
});
beforeEach(async () => {
  await mockLlm.neutral(stack.handle.llmUrl);
});

describeConformance({
  name: 'dapr (state.sqlite)',
  stack: () => ({ apiUrl: stack.handle.apiUrl, llmUrl: stack.handle.llmUrl, blobs: stack.blobs }),
});

describe('dapr fan-out', () => {
  // dapr #7924: parallel activities once ran one after another. With the LLM slower than the
  // whole fan-out takes to dispatch, every page must be in flight at once, up to the LLM's cap.
  for (const cap of [0, 8]) {
    it(`N = 50 pages reach min(N, C) = ${cap || 50} concurrent LLM calls (C = ${cap || 'unbounded'})`, {
      timeout: 300_000,
    }, async () => {
      const { apiUrl, llmUrl } = stack.handle;
      // Capped, the LLM's own queue keeps C calls busy, so a shorter latency suffices.
      await mockLlm.configure(llmUrl, {
        latency: { kind: 'fixed', ms: cap ? 1_000 : 4_000 },
        concurrency: cap,
      });
      const s = sample(50);
      const done = await until(apiUrl, await submit(apiUrl, s), 280_000);
      expect(done.status, done.error).toBe('completed');
      expect(serializeInvoice(done.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
      const metrics = await mockLlm.metrics(llmUrl);
      expect(metrics.pages).toBe(50);
      expect(metrics.maxInFlight).toBe(Math.min(50, cap || 50));
    });
  }
});

describe('dapr retries (LLM_RETRY_POLICY in the workflow, durable timers)', () => {
  it('retries scripted 429 then 500 on every page: exactly 3 calls per page, golden result', async () => {
    const { apiUrl, llmUrl } = stack.handle;
    await mockLlm.configure(llmUrl, {
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.05, script: ['429', '500'] },
    });
    const s = sample(3);
    const done = await until(apiUrl, await submit(apiUrl, s), 110_000);
    expect(done.status, done.error).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
    const metrics = await mockLlm.metrics(llmUrl);
    expect(metrics.pages).toBe(3);
    expect(Object.values(metrics.callsPerPage)).toEqual([3, 3, 3]);
    expect(metrics.failures).toEqual({ '429': 3, '500': 3, hang: 0 });
    expect(metrics.duplicateSuccesses).toBe(0);
  });

  it(`gives up after maxAttempts = ${LLM_RETRY_POLICY.maxAttempts} and the run fails with the reason`, async () => {
    const { apiUrl, llmUrl } = stack.handle;
    const script = Array.from({ length: LLM_RETRY_POLICY.maxAttempts }, () => '500' as const);
    await mockLlm.configure(llmUrl, {
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0, script },
    });
    const s = sample(1);
    const done = await until(apiUrl, await submit(apiUrl, s), 110_000);
    expect(done.status).toBe('failed');
    expect(done.error).toContain(`after ${LLM_RETRY_POLICY.maxAttempts} attempt(s)`);
    const metrics = await mockLlm.metrics(llmUrl);
    expect(Object.values(metrics.callsPerPage)).toEqual([LLM_RETRY_POLICY.maxAttempts]);
  });
});
