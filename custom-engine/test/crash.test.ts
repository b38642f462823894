/**
 * What survives a crash: the worker process is SIGKILLed while a 50-page fan-out is in flight
 * and a fresh one is started. The dead worker's leases expire, the new worker re-claims those
 * step attempts, and the invoice still equals its golden.
 */
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EngineStack,
  expectGolden,
  expectOverBudgetNotRetried,
  expectPoisonPillFails,
  sample,
  startEngineStack,
  submit,
  until,
  untilInFlight,
} from './helpers';

/** Short leases so that the re-claim after the kill comes within seconds. */
const LEASE_MS = 3_000;

let stack: EngineStack;
beforeAll(async () => {
  // TEST ONLY: lets an upload's marker make split kill its worker (shared/src/flow/test-faults.ts).
  process.env.SPLIT_TEST_FAULTS = '1';
  stack = await startEngineStack({ CE_LEASE_MS: String(LEASE_MS) });
});
afterAll(() => stack?.close());

describe('custom-engine crash recovery (SQLite)', () => {
  it('SIGKILL of the worker mid fan-out: the invoice still equals its golden', {
    timeout: 180_000,
  }, async () => {
    await mockLlm.neutral(stack.llmUrl);
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 1_000 } });
    const id = await submit(stack.apiUrl, sample(50));
    await untilInFlight(stack.llmUrl, 10);
    await stack.handle.kill('worker', 'SIGKILL');
    const atKill = await mockLlm.metrics(stack.llmUrl);
    await stack.handle.restart('worker');

    await expectGolden(await until(stack.apiUrl, id, 150_000), sample(50));
    const metrics = await mockLlm.metrics(stack.llmUrl);
    const attempts = await stack.store.attempts(id);
    const expired = attempts.filter((a) => a.outcome === 'lease-expired');
    const duplicatePages = Object.values(metrics.callsPerPage).filter((n) => n > 1).length;
    console.log(
      `[custom-engine crash] in flight at kill: ${atKill.inFlight}, LLM calls: ${metrics.totalCalls} for 50 pages, ` +
        `duplicate successes: ${metrics.duplicateSuccesses} on ${duplicatePages} pages, ` +
        `expired leases re-claimed: ${expired.length}`,
    );
    // Every page was extracted; the ones the dead worker held were re-run after their lease expired.
    expect(metrics.pages).toBe(50);
    expect(expired.length).toBeGreaterThanOrEqual(1);
    expect(metrics.duplicateSuccesses).toBeGreaterThanOrEqual(1);
    // Only calls begun before the kill (in flight, or answered but not yet recorded) are repeated, each once.
    expect(metrics.duplicateSuccesses).toBeLessThanOrEqual(atKill.totalCalls);
    expect(Math.max(...Object.values(metrics.callsPerPage))).toBe(2);
    expect(metrics.totalCalls).toBe(50 + metrics.duplicateSuccesses);
    // Each expired attempt was re-claimed once, by the new worker, and then succeeded.
    for (const e of expired) {
      const next = attempts.find((a) => a.stepKey === e.stepKey && a.attempt === e.attempt + 1);
      expect(next?.outcome, e.stepKey).toBe('success');
      expect(next?.workerId).not.toBe(e.workerId);
    }
  });

  it('a split that kills its worker every time fails the run after 3 attempts; the other invoice completes', {
    timeout: 180_000,
  }, async () => {
    await expectPoisonPillFails(stack, {
      worker: 'worker',
      attempts: 3,
      code: /worker_lost/,
      timeoutMs: 120_000,
    });
  });

  it('a split over the work budget fails the run at once, on its first attempt', async () => {
    const id = await expectOverBudgetNotRetried(stack.apiUrl);
    const split = (await stack.store.attempts(id)).filter((a) => a.stepKey.startsWith('split'));
    expect(split.map((a) => a.outcome)).toEqual(['failed']);
  });
});
