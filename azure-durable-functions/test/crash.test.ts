import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { expectOverBudgetNotRetried, expectPoisonPillFails } from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../test-host/sdk';
import { countEvents, pagesWithDurableResult, pollUntilDone, postSample, readHistory } from './helpers';

/**
 * SIGKILL the process that stands in for the Functions host in the middle of a 50-page fan-out,
 * start it again, and check that the instance resumes from its persisted history.
 */
let stack: StackHandle;
beforeAll(async () => {
  // TEST ONLY: lets an upload's marker make split kill its process (shared/src/flow/test-faults.ts).
  process.env.SPLIT_TEST_FAULTS = '1';
  stack = await upStack('azure-durable-functions');
});
afterAll(() => stack?.down());

const sample = SAMPLES.find((s) => s.pages === 50)!;

describe('crash of the functions host mid fan-out', () => {
  it('resumes from persisted history, produces the golden invoice, and re-runs only unfinished pages', async () => {
    await mockLlm.neutral(stack.llmUrl);
    // Five calls at a time, 150 ms each: the fan-out takes ten waves, so there is a "middle".
    await mockLlm.configure(stack.llmUrl, { concurrency: 5, latency: { kind: 'fixed', ms: 150 } });
    const { status, body } = await postSample(stack, sample, false);
    expect(status).toBe(202);

    let atKill = new Set<string>();
    for (;;) {
      atKill = pagesWithDurableResult(await readHistory(stack, body.id).catch(() => []));
      if (atKill.size >= 10) break;
      await sleep(20);
    }
    await stack.kill('functions-host');
    // What was durable at the moment of the kill (the file can only have grown by a torn line).
    atKill = pagesWithDurableResult(await readHistory(stack, body.id));
    expect(atKill.size).toBeGreaterThanOrEqual(10);
    expect(atKill.size).toBeLessThan(50);

    await stack.restart('functions-host');
    const done = await pollUntilDone(stack, body.id);
    expect(done.status).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));

    const log = await readFile(stack.logPath('functions-host'), 'utf8');
    const resumedLine = log.split('\n').findLast((l) => l.includes('resumed'))!;
    const redispatched = Number(/re-dispatched (\d+)/.exec(resumedLine)![1]);
    expect(resumedLine).toMatch(/resumed 1 instance/);
    expect(redispatched).toBe(50 - atKill.size);

    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.pages).toBe(50);
    // At-least-once: a page whose result was durable before the kill was never called again;
    // pages in flight at the kill may have been extracted twice. Those duplicates are reported.
    for (const key of atKill) expect(metrics.successesPerPage[key]).toBe(1);
    expect(metrics.duplicateSuccesses).toBeLessThanOrEqual(50 - atKill.size);
    console.log(
      `[crash] durable results at kill: ${atKill.size}/50; re-dispatched after restart: ${redispatched}; ` +
        `duplicate LLM extractions: ${metrics.duplicateSuccesses}; total LLM calls: ${metrics.totalCalls}`,
    );
  });

  it('SIGKILL of Azurite mid fan-out, then a restart: every acknowledged blob is there and the invoice is golden', {
    timeout: 180_000,
  }, async () => {
    await mockLlm.neutral(stack.llmUrl);
    await mockLlm.configure(stack.llmUrl, { concurrency: 5, latency: { kind: 'fixed', ms: 150 } });
    const { body } = await postSample(stack, sample, false);
    for (;;) {
      if (pagesWithDurableResult(await readHistory(stack, body.id).catch(() => [])).size >= 10) break;
      await sleep(20);
    }
    // Page blobs, extractions and the source PDF were all acknowledged before this kill; with
    // Azurite's in-memory metadata (saved every 5 s) some would now be gone.
    await stack.kill('azurite', 'SIGKILL');
    await stack.restart('azurite');
    const done = await pollUntilDone(stack, body.id);
    expect(done.status, done.error).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
  });

  it('a split that kills the host every time fails the run after 3 dispatches; the other invoice completes', {
    timeout: 240_000,
  }, async () => {
    const target = { handle: stack, apiUrl: stack.apiUrl, llmUrl: stack.llmUrl };
    await expectPoisonPillFails(target, {
      worker: 'functions-host',
      attempts: 3,
      code: /worker_lost/,
      timeoutMs: 180_000,
    });
  });

  it('a split over the work budget fails the run at once, dispatched once', async () => {
    const id = await expectOverBudgetNotRetried(stack.apiUrl);
    const history = await readHistory(stack, id);
    expect(countEvents(history, EventType.TaskScheduled, 'splitPdf')).toBe(1);
  });
});
