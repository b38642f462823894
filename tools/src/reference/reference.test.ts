import { readFile } from 'node:fs/promises';
import type { StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type StackHandle, upStack } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';
import { approvalAcrossRestart } from '../testing/fault-scenarios';
import { startReferenceInProcess } from './in-process';

let stack: Awaited<ReturnType<typeof startReferenceInProcess>>;
beforeAll(async () => {
  stack = await startReferenceInProcess();
});
afterAll(() => stack?.close());
beforeEach(() => mockLlm.neutral(stack.llmUrl));

describeConformance({ name: 'reference pipeline', stack: () => stack });

const fiftyPages = SAMPLES.find((s) => s.pages === 50)!;

async function runSample(sample = fiftyPages) {
  const response = await fetch(`${stack.apiUrl}/api/invoices?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: await readFile(sample.pdfPath),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as StatusBody;
  expect(serializeInvoice(body.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
  return body;
}

describe('reference pipeline fan-out', () => {
  for (const cap of [0, 8, 20]) {
    it(`a 50-page invoice reaches max in-flight = min(N, C) with C = ${cap || 'unlimited'}`, async () => {
      await mockLlm.configure(stack.llmUrl, { concurrency: cap, latency: { kind: 'fixed', ms: 100 } });
      await runSample();
      const metrics = await mockLlm.metrics(stack.llmUrl);
      expect(metrics.maxInFlight).toBe(Math.min(50, cap || Number.POSITIVE_INFINITY));
      expect(metrics.pages).toBe(50);
      expect(metrics.duplicateSuccesses).toBe(0);
    });
  }

  it('retries injected 429 and 500 per page, with an exact retry count', async () => {
    await mockLlm.configure(stack.llmUrl, {
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.05, script: ['429', '500'] },
    });
    const sample = SAMPLES.find((s) => s.pages === 10)!;
    await runSample(sample);
    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.failures['429']).toBe(10);
    expect(metrics.failures['500']).toBe(10);
    expect(metrics.totalCalls).toBe(30);
    expect(Object.values(metrics.callsPerPage)).toEqual(Array(10).fill(3));
    expect(metrics.duplicateSuccesses).toBe(0);
  });

  it('recovers from random injected failures with the count the mock reports', async () => {
    await mockLlm.configure(stack.llmUrl, {
      seed: 7,
      failures: { rate429: 0.1, rate500: 0.1, rateHang: 0, retryAfterSeconds: 0.01, script: [] },
    });
    await runSample();
    const metrics = await mockLlm.metrics(stack.llmUrl);
    const injected = metrics.failures['429'] + metrics.failures['500'];
    expect(injected).toBeGreaterThan(0);
    expect(metrics.totalCalls).toBe(50 + injected);
  });
});

describe('reference pipeline across a restart (what the engines add)', () => {
  let launched: StackHandle;
  beforeAll(async () => {
    launched = await upStack('reference', { settings: { headless: 'true' } });
  }, 120_000);
  afterAll(() => launched?.down());

  it('a run waiting for approval is lost when its process restarts: the approval has nothing to land on', {
    timeout: 120_000,
  }, async () => {
    // The same check every engine's crash test passes (tools/src/testing/fault-scenarios.ts).
    const run = await approvalAcrossRestart(launched, 60_000);
    expect(run.killed).toEqual(['api']);
    expect(run.afterRestart).toBe('lost');
    expect(run.approvalStatus).toBe(404);
  });
});
