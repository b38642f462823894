/**
 * What survives which crash, on the real Temporal server: a SIGKILLed extract worker in the
 * middle of the fan-out, a killed-and-restarted server that reopens the same SQLite file, a run
 * waiting for approval while every process is restarted, and one of two extract workers killed.
 */
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  expectApprovalSurvivesRestart,
  expectOverBudgetNotRetried,
  expectPoisonPillFails,
  expectSurvivorFinishes,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expectGolden,
  finalAttempts,
  sample,
  startTemporal,
  submit,
  type TemporalStack,
  until,
  untilInFlight,
} from './helpers';

const SLOTS = 20;

describe('temporal crash recovery', () => {
  // One stack at a time: this describe's stack is down before the two-worker one starts.
  let stack: TemporalStack;
  beforeAll(async () => {
    // TEST ONLY: lets an upload's marker make split kill its worker (shared/src/flow/test-faults.ts).
    process.env.SPLIT_TEST_FAULTS = '1';
    stack = await startTemporal({ EXTRACT_MAX_CONCURRENT: String(SLOTS) });
  });
  afterAll(() => stack?.close());
  beforeEach(() => mockLlm.neutral(stack.llmUrl));

  it('SIGKILL of the extract worker mid fan-out: the invoice still equals its golden', {
    timeout: 180_000,
  }, async () => {
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 1_000 } });
    const id = await submit(stack.apiUrl, sample(50));
    await untilInFlight(stack.llmUrl, 10);
    await stack.handle.kill('worker-extract', 'SIGKILL');
    const atKill = await mockLlm.metrics(stack.llmUrl);
    await stack.handle.restart('worker-extract');

    await expectGolden(await until(stack.apiUrl, id, 150_000), sample(50));
    const metrics = await mockLlm.metrics(stack.llmUrl);
    // Calls in flight at the kill finished at the LLM but their results died with the worker;
    // Temporal re-ran those activities after the heartbeat timeout: the duplicates.
    const duplicatePages = Object.values(metrics.callsPerPage).filter((n) => n > 1).length;
    console.log(
      `[temporal crash] in flight at kill: ${atKill.inFlight}, LLM calls: ${metrics.totalCalls} for 50 pages, ` +
        `duplicate successes: ${metrics.duplicateSuccesses} on ${duplicatePages} pages`,
    );
    expect(metrics.pages).toBe(50);
    expect(atKill.inFlight).toBeGreaterThanOrEqual(1);
    expect(metrics.duplicateSuccesses).toBeGreaterThanOrEqual(atKill.inFlight);
    // At most the calls that were running on the killed worker are repeated, each once.
    expect(metrics.duplicateSuccesses).toBeLessThanOrEqual(SLOTS);
    expect(metrics.totalCalls).toBe(50 + metrics.duplicateSuccesses);
  });

  it('server killed and restarted mid-run on the same db file: the run completes', {
    timeout: 180_000,
  }, async () => {
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 1_000 } });
    const id = await submit(stack.apiUrl, sample(50));
    await untilInFlight(stack.llmUrl, 5);
    await stack.handle.kill('temporal', 'SIGKILL');
    await stack.handle.restart('temporal');

    await expectGolden(await until(stack.apiUrl, id, 150_000), sample(50));
    expect((await mockLlm.metrics(stack.llmUrl)).pages).toBe(50);
    // The run is still known after the restart: it came back from the SQLite file.
    const description = await stack.client.workflow.getHandle(id).describe();
    expect(description.status.name).toBe('COMPLETED');
  });

  it('a split that kills its worker every time fails the run after 3 attempts; the other invoice completes', {
    timeout: 240_000,
  }, async () => {
    await expectPoisonPillFails(stack, {
      worker: 'worker-split',
      attempts: 3,
      code: /worker_lost/,
      timeoutMs: 180_000,
    });
  });

  it('a split over the work budget fails the run at once, on its first attempt', async () => {
    const id = await expectOverBudgetNotRetried(stack.apiUrl);
    expect(await finalAttempts(stack.client, id, 'split')).toEqual([1]);
  });

  it('a run waiting for approval survives a SIGKILL and restart of every process; the approval sent afterwards lands', {
    timeout: 240_000,
  }, async () => {
    const result = await expectApprovalSurvivesRestart(stack.handle, 'temporal');
    expect(result.killed).toContain('temporal');
    // The wait was the server's: a timer and a signal in the run's history, no worker state.
    const events = (await stack.client.workflow.getHandle(result.id).fetchHistory()).events ?? [];
    expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approval')).toBe(
      true,
    );
  });
});

describe('temporal with two extract workers (workers=2)', () => {
  let stack: TemporalStack;
  beforeAll(async () => {
    stack = await startTemporal({ EXTRACT_MAX_CONCURRENT: String(SLOTS), workers: '2' });
  });
  afterAll(() => stack?.close());

  it('one of two extract workers SIGKILLed mid fan-out (and left dead): the other finishes the invoice', {
    timeout: 240_000,
  }, async () => {
    expect(stack.handle.topology.extractWorkers).toEqual(['worker-extract', 'worker-extract-2']);
    await expectSurvivorFinishes(stack.handle, 'temporal');
  });
});
