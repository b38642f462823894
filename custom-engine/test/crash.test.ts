/**
 * What survives a crash: the worker process is SIGKILLed while a 50-page fan-out is in flight
 * and a fresh one is started. The dead worker's leases expire, the new worker re-claims those
 * step attempts, and the invoice still equals its golden. An approval wait survives a restart
 * of every process (it is a suspended row in the store), and of two workers one may die for good.
 */
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { expectApprovalSurvivesRestart, expectSurvivorFinishes } from '@invoice/tools/testing/stack-client';
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

describe('custom-engine approval across a restart (SQLite)', () => {
  it('a run waiting for approval survives SIGKILL of every process; the approval sent afterwards completes it', {
    timeout: 240_000,
  }, async () => {
    const result = await expectApprovalSurvivesRestart(stack.handle, 'custom-engine');
    expect(result.killed).toEqual(expect.arrayContaining(['api', 'worker']));
    // The wait was one suspended attempt; the decision resumed it on a worker started after the kill.
    const approval = (await stack.store.attempts(result.id)).filter((a) => a.stepKey === 'approval');
    expect(approval.map((a) => a.outcome)).toEqual(['suspended', 'success']);
  });
});

describe('custom-engine with workers=2 (SQLite): one of two workers killed for good', () => {
  let two: EngineStack;
  beforeAll(async () => {
    // At most 25 attempts per worker, so that the 50 pages are shared: one claim batch of one
    // worker would otherwise take the whole fan-out, and killing the idle one would prove nothing.
    two = await startEngineStack({ workers: '2', CE_LEASE_MS: String(LEASE_MS), CE_CONCURRENCY: '25' });
  });
  afterAll(() => two?.close());

  it('SIGKILL of extractWorkers[0] mid fan-out: the other worker re-claims its leases, the invoice equals its golden', {
    timeout: 240_000,
  }, async () => {
    const workers = two.handle.topology.extractWorkers ?? [];
    expect(workers).toEqual(['worker-1', 'worker-2']);
    const { final } = await expectSurvivorFinishes(two.handle, 'custom-engine');
    // Every attempt the dead worker held was taken over by the survivor and succeeded there.
    const attempts = await two.store.attempts(final.id);
    const expired = attempts.filter((a) => a.outcome === 'lease-expired');
    const survivor = two.handle.pid(workers[1]!);
    console.log(
      `[custom-engine workers=2] leases of the killed worker re-claimed by the survivor: ${expired.length}`,
    );
    for (const e of expired) {
      const next = attempts.find((a) => a.stepKey === e.stepKey && a.attempt === e.attempt + 1);
      expect(next?.outcome, e.stepKey).toBe('success');
      expect(Number(next?.workerId.split(':')[1])).toBe(survivor);
    }
  });
});
