/**
 * The Temporal stack against the real Temporal server: the common contract, the fan-out's
 * parallelism and the retry policy as the mock LLM and the server's history both see it.
 */
import { readFile } from 'node:fs/promises';
import type { ErrorBody } from '@invoice/shared/contract/types';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  expectGivesUpAfterMaxAttempts,
  runTinySynthetic,
  runWithScriptedRetries,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WORKFLOW_TYPE } from '../src/task-queues';
import {
  expectGolden,
  finalAttempts,
  runToEnd,
  sample,
  startTemporal,
  type TemporalStack,
  until,
} from './helpers';

/** Activity slots of the extract worker in this file: lower than N = 50 so the cap shows. */
const SLOTS = 20;

let stack: TemporalStack;
beforeAll(async () => {
  // Synthetic uploads run the synthetic activity set; every other test posts real PDFs.
  stack = await startTemporal({ EXTRACT_MAX_CONCURRENT: String(SLOTS), ACTIVITY_MODE: 'synthetic' });
});
afterAll(() => stack?.close());
beforeEach(() => mockLlm.neutral(stack.llmUrl));

describeConformance({ name: 'temporal', stack: () => stack });

describe('temporal fan-out', () => {
  // Each case moves a different term of min(N, C, slots) to the bottom.
  const cases = [
    { pages: 50, cap: 0, expected: SLOTS, why: 'worker slots' },
    { pages: 50, cap: 8, expected: 8, why: 'mock LLM cap C' },
    { pages: 10, cap: 0, expected: 10, why: 'page count N' },
  ];
  for (const { pages, cap, expected, why } of cases) {
    it(`N=${pages}, C=${cap || 'none'}, slots=${SLOTS}: max in-flight = ${expected} (${why})`, async () => {
      // Long enough that every slot is taken before the first call returns.
      await mockLlm.configure(stack.llmUrl, { concurrency: cap, latency: { kind: 'fixed', ms: 1_500 } });
      await expectGolden(await runToEnd(stack.apiUrl, sample(pages)), sample(pages));
      const metrics = await mockLlm.metrics(stack.llmUrl);
      expect(metrics.maxInFlight).toBe(expected);
      expect(metrics.pages).toBe(pages);
      expect(metrics.duplicateSuccesses).toBe(0);
    });
  }
});

describe('temporal ?wait=true', () => {
  it('answers 504 at its timeout while the run goes on, and the run then completes', async () => {
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 3_000 } });
    const response = await fetch(`${stack.apiUrl}/api/invoices?wait=true&timeoutMs=500`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: await readFile(sample(1).pdfPath),
    });
    const body = (await response.json()) as ErrorBody & { id: string };
    expect(response.status).toBe(504);
    expect(body.error.code).toBe('wait_timeout');
    await expectGolden(await until(stack.apiUrl, body.id, 60_000), sample(1));
  });
});

describe('temporal retries (the shared LLM_RETRY_POLICY as a Temporal RetryPolicy)', () => {
  it('retries a 429 then a 500 on every page; each extract completes on attempt 3', async () => {
    const body = await runWithScriptedRetries(stack.apiUrl, stack.llmUrl, 10);
    // The engine's side of the same story: Temporal ran each extract three times.
    expect(await finalAttempts(stack.client, body.id, 'extract')).toEqual(Array(10).fill(3));
    expect(await finalAttempts(stack.client, body.id, 'split')).toEqual([1]);
  });

  it('gives up after maxAttempts (6) and reports the run as failed', async () => {
    await expectGivesUpAfterMaxAttempts(stack.apiUrl, stack.llmUrl);
  });
});

describe('temporal engine-only mode', () => {
  it('runs the synthetic activity set (ACTIVITY_MODE=synthetic) through the same workflow type', async () => {
    const body = await runTinySynthetic(stack.apiUrl, stack.llmUrl, stack.blobs, 7);
    const description = await stack.client.workflow.getHandle(body.id).describe();
    expect(description.type).toBe(WORKFLOW_TYPE);
    expect(await finalAttempts(stack.client, body.id, 'extract')).toEqual(Array(7).fill(1));
    expect(await finalAttempts(stack.client, body.id, 'split')).toEqual([1]);
    expect(await finalAttempts(stack.client, body.id, 'aggregate')).toEqual([1]);
  });
});
