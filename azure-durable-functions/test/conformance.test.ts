import { readFile } from 'node:fs/promises';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { runTinySynthetic } from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTIVITY, ORCHESTRATOR } from '../src/names';
import { EventType } from '../test-host/sdk';
import {
  committed,
  countEvents,
  postSample,
  readHistory,
  retryTimers,
  untilNoLlmCallInFlight,
} from './helpers';

/**
 * The Durable Functions stack as the launcher runs it here: Azurite (real, from npm) for blobs,
 * the replay test host running the app's registered functions, the mock LLM. Every request goes
 * through the app's own HTTP starter function and its durable client, as with `func start`.
 */
let stack: StackHandle;
let blobs: BlobStore;
beforeAll(async () => {
  // Synthetic uploads run the synthetic activity set; every other test posts real PDFs.
  stack = await upStack('azure-durable-functions', { settings: { ACTIVITY_MODE: 'synthetic' } });
  blobs = blobStoreFromEnv(stack.env);
});
afterAll(() => stack?.down());
beforeEach(() => mockLlm.neutral(stack.llmUrl));

describe('blob store of this stack', () => {
  it('is Azurite, and the invoice the contract returns is the blob the workflow wrote there', async () => {
    expect(blobs.kind).toBe('azure');
    const { status, body } = await postSample(stack, SAMPLES[0]!, true);
    expect(status).toBe(200);
    const stored = await blobs.getText(`invoices/${body.id}/invoice.json`);
    expect(stored).toBe(serializeInvoice(body.invoice!));
    expect(await blobs.list(`invoices/${body.id}/pages/`)).toHaveLength(3 * SAMPLES[0]!.pages);
  });
});

describe("the app's HTTP starter", () => {
  it('answers an upload with the management URLs of createCheckStatusResponse, and statusQueryGetUri serves the instance', async () => {
    const { status, body } = await postSample(stack, SAMPLES[0]!, false);
    expect(status).toBe(202);
    const links = body as unknown as Record<string, string>;
    const instance = `${stack.apiUrl}/runtime/webhooks/durabletask/instances/${body.id}`;
    const query = 'taskHub=InvoiceHub&connection=Storage';
    expect(links).toMatchObject({
      id: body.id,
      statusUrl: `/api/invoices/${body.id}`,
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
    });
    let runtime: { runtimeStatus: string; name: string; output: { invoiceKey: string } };
    for (;;) {
      const response = await fetch(links.statusQueryGetUri!);
      runtime = (await response.json()) as typeof runtime;
      if (response.status === 200) break;
      expect(response.status).toBe(202);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(runtime).toMatchObject({ runtimeStatus: 'Completed', name: 'invoiceOrchestrator' });
    expect(runtime.output.invoiceKey).toBe(`invoices/${body.id}/invoice.json`);
  });
});

const fiftyPages = SAMPLES.find((s) => s.pages === 50)!;
const tenPages = SAMPLES.find((s) => s.pages === 10)!;

describe('fan-out on the test host', () => {
  // In-flight counts start from an idle LLM (the shared suite, with its hung call, runs after
  // these; the guard keeps the count honest if the order changes).
  beforeEach(async () => {
    await untilNoLlmCallInFlight(stack.llmUrl);
    await mockLlm.neutral(stack.llmUrl);
  });
  for (const cap of [0, 8, 20]) {
    it(`a 50-page invoice reaches max in-flight = min(N, C) with C = ${cap || 'unlimited'}`, async () => {
      await mockLlm.configure(stack.llmUrl, { concurrency: cap, latency: { kind: 'fixed', ms: 100 } });
      const { status, body } = await postSample(stack, fiftyPages, true);
      expect(status).toBe(200);
      expect(serializeInvoice(body.invoice!)).toBe(await readFile(fiftyPages.goldenPath, 'utf8'));
      const metrics = await mockLlm.metrics(stack.llmUrl);
      expect(metrics.maxInFlight).toBe(Math.min(50, cap || Number.POSITIVE_INFINITY));
      expect(metrics.pages).toBe(50);
      expect(metrics.duplicateSuccesses).toBe(0);
    });
  }

  it('keeps page data out of history: every scheduled input and result is keys and numbers', async () => {
    const { body } = await postSample(stack, tenPages, true);
    const lines = committed(await readHistory(stack, body.id));
    const payloads = lines.flatMap((l) => [l.event.Input, l.event.Result].filter((x): x is string => !!x));
    expect(payloads.length).toBeGreaterThan(20);
    // Claim-check: every string anywhere in history is the invoice id or a blob key under it.
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    for (const p of payloads) walk(JSON.parse(p));
    expect(strings.length).toBeGreaterThan(40);
    for (const s of strings) expect(s === body.id || s.startsWith(`invoices/${body.id}/`)).toBe(true);
  });
});

describe('callActivityWithRetry on the test host', () => {
  it('retries injected 429 and 500 per page: exact LLM calls, and the TaskFailed / timer events in history', async () => {
    await mockLlm.configure(stack.llmUrl, {
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.05, script: ['429', '500'] },
    });
    const { status, body } = await postSample(stack, tenPages, true);
    expect(status).toBe(200);
    expect(serializeInvoice(body.invoice!)).toBe(await readFile(tenPages.goldenPath, 'utf8'));

    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.failures['429']).toBe(10);
    expect(metrics.failures['500']).toBe(10);
    expect(metrics.totalCalls).toBe(30);
    expect(Object.values(metrics.callsPerPage)).toEqual(Array(10).fill(3));
    expect(metrics.duplicateSuccesses).toBe(0);

    const lines = await readHistory(stack, body.id);
    expect(countEvents(lines, EventType.TaskScheduled, 'extractPage')).toBe(30);
    expect(countEvents(lines, EventType.TaskFailed)).toBe(20);
    // Retry timers only: the run's three deadline timers (one per step, cancelled) fire later.
    expect(retryTimers(lines)).toHaveLength(20);
    expect(countEvents(lines, EventType.TimerCreated)).toBe(23);
    expect(countEvents(lines, EventType.TimerFired)).toBe(20);
    // The durable timers carry the RetryOptions backoff: 100 ms after attempt 1, 200 ms after attempt 2.
    const delays = retryTimers(lines).map(
      (l) => new Date(l.event.FireAt!).getTime() - new Date(l.event.Timestamp).getTime(),
    );
    expect(delays.sort((a, b) => a - b)).toEqual([...Array(10).fill(100), ...Array(10).fill(200)]);
  });

  it(`gives up after maxNumberOfAttempts (${LLM_RETRY_POLICY.maxAttempts}) and the instance fails with the activity's error`, async () => {
    await mockLlm.configure(stack.llmUrl, {
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0, script: Array(10).fill('500') },
    });
    const { status, body } = await postSample(stack, SAMPLES[0]!, true);
    expect(status).toBe(502);
    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.totalCalls).toBe(LLM_RETRY_POLICY.maxAttempts);
    const lines = await readHistory(stack, body.id);
    expect(countEvents(lines, EventType.TaskFailed)).toBe(LLM_RETRY_POLICY.maxAttempts);
    // DurableTask.Core's retry interceptor creates one more timer after the last failure, one that
    // fires at once (kept for history compatibility), then fails the task.
    expect(countEvents(lines, EventType.TimerFired)).toBe(LLM_RETRY_POLICY.maxAttempts);
    const delays = retryTimers(lines).map(
      (l) => new Date(l.event.FireAt!).getTime() - new Date(l.event.Timestamp).getTime(),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1600, 0]);
    const end = committed(lines).find((l) => l.event.EventType === EventType.ExecutionCompleted)!.event;
    expect(end.OrchestrationStatus).toBe('Failed');
    expect(end.Result).toMatch(/extractPage/);
    const state = (await (await fetch(`${stack.apiUrl}/api/invoices/${body.id}`)).json()) as {
      status: string;
    };
    expect(state.status).toBe('failed');
  });
});

describe('terminate on the test host', () => {
  it('cancel writes ExecutionTerminated and ends the instance Terminated without another episode', async () => {
    await mockLlm.configure(stack.llmUrl, { concurrency: 2, latency: { kind: 'fixed', ms: 200 } });
    const response = await fetch(`${stack.apiUrl}/api/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: await readFile(tenPages.pdfPath),
    });
    const { id } = (await response.json()) as { id: string };
    // Cancel once the fan-out is scheduled: 10 extract tasks in history.
    for (let i = 0; i < 400; i++) {
      if (countEvents(await readHistory(stack, id), EventType.TaskScheduled, 'extractPage') === 10) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await fetch(`${stack.apiUrl}/api/invoices/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    let status = '';
    for (let i = 0; i < 400 && status !== 'cancelled'; i++) {
      status = ((await (await fetch(`${stack.apiUrl}/api/invoices/${id}`)).json()) as { status: string })
        .status;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(status).toBe('cancelled');
    const lines = committed(await readHistory(stack, id));
    expect(countEvents(lines, EventType.ExecutionTerminated)).toBe(1);
    const end = lines.find((l) => l.event.EventType === EventType.ExecutionCompleted)!.event;
    expect(end.OrchestrationStatus).toBe('Terminated');
    // The orchestrator never scheduled aggregate: the terminate ended it where it stood.
    expect(countEvents(lines, EventType.TaskScheduled, 'aggregateInvoice')).toBe(0);
  });
});

describe('engine-only mode on the test host', () => {
  it('runs the synthetic activity set (ACTIVITY_MODE=synthetic) through the same orchestrator', async () => {
    const body = await runTinySynthetic(stack.apiUrl, stack.llmUrl, blobs, 7);
    const lines = await readHistory(stack, body.id);
    const started = committed(lines).find((l) => l.event.EventType === EventType.ExecutionStarted)!.event;
    expect(started.Name).toBe(ORCHESTRATOR);
    expect(countEvents(lines, EventType.TaskScheduled, ACTIVITY.split)).toBe(1);
    expect(countEvents(lines, EventType.TaskScheduled, ACTIVITY.extract)).toBe(7);
    expect(countEvents(lines, EventType.TaskScheduled, ACTIVITY.aggregate)).toBe(1);
  });
});

// Last in this file: its deadline check leaves a hung LLM call running until the LLM client's
// 30 s attempt timeout (the engine cannot stop a running activity), which the in-flight counts
// above would otherwise have had to wait out.
describeConformance({
  name: "azure-durable-functions (replay test host, app's HTTP starter)",
  stack: () => ({ apiUrl: stack.apiUrl, llmUrl: stack.llmUrl, blobs }),
});
