import { readFile } from 'node:fs/promises';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../test-host/sdk';
import { committed, postSample, readHistory, retryTimers, writeHostJson } from './helpers';

/**
 * functionTimeout from host.json. SHORTENED, stated: this file runs the host with a copy of
 * host.json whose functionTimeout is 12 s (the app's: 10 min), so that a hung LLM call fails its
 * activity attempt well before the LLM client's own 30 s attempt timeout would, while splitting
 * a one-page PDF on a busy machine still fits in it.
 */
const FUNCTION_TIMEOUT = '00:00:12';

let stack: StackHandle;
beforeAll(async () => {
  const hostJson = await writeHostJson({ functionTimeout: FUNCTION_TIMEOUT });
  stack = await upStack('azure-durable-functions', { settings: { DF_HOST_JSON: hostJson.path } });
});
afterAll(() => stack?.down());

describe('functionTimeout on the test host (shortened, stated)', () => {
  it(`a hanging activity fails its attempt at functionTimeout (${FUNCTION_TIMEOUT}) and is retried per the policy`, async () => {
    const sample = SAMPLES.find((s) => s.pages === 1)!;
    await mockLlm.neutral(stack.llmUrl);
    // One ordinary run first, so the one under test does not also pay for loading the PDF renderer.
    expect((await postSample(stack, sample, true)).status).toBe(200);
    await mockLlm.neutral(stack.llmUrl);
    // Each page's first LLM call hangs (the mock answers it only after minutes).
    await mockLlm.configure(stack.llmUrl, {
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0, script: ['hang'] },
    });
    const { status, body } = await postSample(stack, sample, true);
    expect(status).toBe(200);
    expect(serializeInvoice(body.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.failures.hang).toBe(sample.pages);
    // The hung calls are still open: each attempt was failed by the host, not by an LLM answer.
    expect(metrics.inFlight).toBe(sample.pages);
    expect(metrics.totalCalls).toBe(2 * sample.pages);
    const lines = committed(await readHistory(stack, body.id));
    const failures = lines.filter((l) => l.event.EventType === EventType.TaskFailed);
    expect(failures).toHaveLength(sample.pages);
    for (const f of failures) {
      expect(f.event.Reason).toBe(
        `Activity function 'extractPage' failed: Timeout value of ${FUNCTION_TIMEOUT} was exceeded by function: Functions.extractPage`,
      );
    }
    // Retried as RetryOptions says: a 100 ms durable timer after the failed first attempt, then attempt 2.
    const timers = retryTimers(lines);
    expect(
      timers.map((l) => new Date(l.event.FireAt!).getTime() - new Date(l.event.Timestamp).getTime()),
    ).toEqual(Array(sample.pages).fill(100));
    const attempts = lines.filter(
      (l) => l.event.EventType === EventType.TaskScheduled && l.event.Name === 'extractPage',
    );
    expect(attempts).toHaveLength(2 * sample.pages);
  });
});
