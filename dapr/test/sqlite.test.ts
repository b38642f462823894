import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { runTinySynthetic } from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WORKFLOW_NAME } from '../src/config';
import { type DaprStack, sample, startDapr, submit, until } from './helpers';

// The Dapr stack on its default state store (state.sqlite), started once for this file.
let stack: DaprStack;
beforeAll(async () => {
  // Synthetic uploads run the synthetic activity set; every other test posts real PDFs.
  stack = await startDapr({ state: 'sqlite', ACTIVITY_MODE: 'synthetic' });
});
afterAll(async () => {
  await stack?.handle.down();
});
beforeEach(async () => {
  await mockLlm.neutral(stack.handle.llmUrl);
});

async function untilLlmIdle(llmUrl: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await mockLlm.metrics(llmUrl)).inFlight > 0) {
    if (Date.now() > deadline)
      throw new Error(`the mock LLM still had calls in flight after ${timeoutMs} ms`);
    await sleep(100);
  }
  await mockLlm.neutral(llmUrl);
}

describe('dapr fan-out', () => {
  // dapr #7924: parallel activities once ran one after another. With the LLM slower than the
  // whole fan-out takes to dispatch, every page must be in flight at once, up to the LLM's cap.
  for (const cap of [0, 8]) {
    it(`N = 50 pages reach min(N, C) = ${cap || 50} concurrent LLM calls (C = ${cap || 'unbounded'})`, {
      timeout: 300_000,
    }, async () => {
      const { apiUrl, llmUrl } = stack.handle;
      // The in-flight count starts from an idle LLM (the conformance suite, with its hung call,
      // runs after this; the guard keeps the count honest if the order changes).
      await untilLlmIdle(llmUrl);
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

describe('dapr engine-only mode', () => {
  it('runs the synthetic activity set (ACTIVITY_MODE=synthetic) through the same invoiceWorkflow', async () => {
    const { apiUrl, llmUrl, topology } = stack.handle;
    const body = await runTinySynthetic(apiUrl, llmUrl, stack.blobs, 7);
    // The workflow sidecar's own record of the instance: which workflow ran it, and that it completed.
    const sidecar = topology.links!['workflow sidecar metadata']!.replace('/v1.0/metadata', '');
    const instance = (await (await fetch(`${sidecar}/v1.0/workflows/dapr/${body.id}`)).json()) as {
      workflowName: string;
      runtimeStatus: string;
    };
    expect(instance).toMatchObject({ workflowName: WORKFLOW_NAME, runtimeStatus: 'COMPLETED' });
  });
});

// Last in this file: its deadline check leaves a hung LLM call running until the LLM client's
// 30 s attempt timeout (the engine cannot stop a running activity), which the in-flight counts
// above would otherwise have had to wait out.
describeConformance({
  name: 'dapr (state.sqlite)',
  stack: () => ({ apiUrl: stack.handle.apiUrl, llmUrl: stack.handle.llmUrl, blobs: stack.blobs }),
});
