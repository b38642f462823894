import { readFile } from 'node:fs/promises';
import { crashAllDuringFanout } from '@invoice/tools/kit/chaos';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  expectApprovalSurvivesRestart,
  expectOverBudgetNotRetried,
  expectPoisonPillFails,
  expectSurvivorFinishes,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DaprStack, expectGolden, sample, startDapr, submit, until, untilInFlight } from './helpers';

// SIGKILL mid fan-out, then restart: what Dapr's durability buys. One stack per describe, the
// second (two extract replicas) started after the first is down, so only one runs at a time.
let stack: DaprStack;

/** Submits 10 pages, runs `crash` once the fan-out is under way, and waits for the run's end. */
async function crashMidFanout(crash: (handle: DaprStack['handle']) => Promise<void>) {
  const { handle } = stack;
  const s = sample(10);
  const id = await submit(handle.apiUrl, s);
  await untilInFlight(handle.llmUrl, 1);
  await crash(handle);
  const done = await until(handle.apiUrl, id, 220_000);
  return { s, done };
}

describe('dapr crash recovery', () => {
  beforeAll(async () => {
    // TEST ONLY: lets an upload's marker make split kill its service (shared/src/flow/test-faults.ts).
    process.env.SPLIT_TEST_FAULTS = '1';
    stack = await startDapr({ state: 'sqlite' });
  });
  afterAll(async () => {
    await stack?.handle.down();
  });
  beforeEach(async () => {
    await mockLlm.neutral(stack.handle.llmUrl);
    // Slow enough that the kill lands while pages are in flight.
    await mockLlm.configure(stack.handle.llmUrl, { latency: { kind: 'fixed', ms: 1_500 } });
  });

  it('SIGKILL of the extract service mid fan-out: the invoice still equals its golden; duplicates are counted', {
    timeout: 240_000,
  }, async () => {
    const { s, done } = await crashMidFanout(async (handle) => {
      await handle.kill('extract', 'SIGKILL');
      await handle.restart('extract');
    });
    await expectGolden(done, s);
    const metrics = await mockLlm.metrics(stack.handle.llmUrl);
    expect(metrics.pages).toBe(10);
    // Calls the killed service had in flight reached the LLM but their answers were lost, so
    // those pages were extracted again: at-least-once, made safe by idempotent activities.
    const calls = Object.values(metrics.callsPerPage).reduce((a, b) => a + b, 0);
    console.log(
      `[dapr crash: extract] LLM calls ${calls} for 10 pages; duplicate successes ${metrics.duplicateSuccesses}`,
    );
    expect(calls).toBeGreaterThan(10);
  });

  it('SIGKILL of the workflow app and its sidecar mid fan-out: the run resumes and completes', {
    timeout: 240_000,
  }, async () => {
    const { s, done } = await crashMidFanout(async (handle) => {
      await handle.kill('workflow', 'SIGKILL');
      await handle.kill('workflow-dapr', 'SIGKILL');
      await handle.restart('workflow-dapr');
      await handle.restart('workflow');
    });
    await expectGolden(done, s);
    const metrics = await mockLlm.metrics(stack.handle.llmUrl);
    expect(metrics.pages).toBe(10);
    console.log(
      `[dapr crash: workflow] LLM calls ${metrics.totalCalls} for 10 pages; duplicate successes ${metrics.duplicateSuccesses}`,
    );
  });

  it('SIGKILL of the workflow sidecar alone: the app starts a fresh runtime and the run completes', {
    timeout: 240_000,
  }, async () => {
    // The SDK's work-item stream does not reconnect by itself; workflow-app.ts watches for that.
    const { handle } = stack;
    const appPid = handle.pid('workflow');
    const { s, done } = await crashMidFanout(async () => {
      await handle.kill('workflow-dapr', 'SIGKILL');
      await handle.restart('workflow-dapr');
    });
    expect(handle.pid('workflow')).toBe(appPid);
    await expectGolden(done, s);
    expect(await readFile(handle.logPath('workflow'), 'utf8')).toContain('starting a fresh runtime');
  });

  // What a rewrite of dapr-resources/ used to do to every sidecar at once, and harsher: each
  // daprd goes down mid fan-out and nobody restarts it by hand; the launcher's supervision must.
  it('every daprd SIGKILLed at once mid fan-out: supervision restarts them and the invoice ends golden', {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    const sidecars = handle.processes.filter((p) => p.kind === 'sidecar').map((p) => p.name);
    expect(sidecars).toHaveLength(4);
    const before = Object.fromEntries(sidecars.map((name) => [name, handle.pid(name)]));
    const restarts = (name: string) => handle.status().find((p) => p.name === name)!.restarts;
    const restartsBefore = Object.fromEntries(sidecars.map((name) => [name, restarts(name)]));
    const report = await crashAllDuringFanout(handle, 'sidecar', 'SIGKILL', {
      pages: 10,
      latencyMs: 1_500,
      timeoutMs: 220_000,
    });
    expect(report.outcome).toBe('golden');
    for (const name of sidecars) {
      expect(handle.pid(name), name).not.toBe(before[name]);
      expect(restarts(name), name).toBe(restartsBefore[name]! + 1);
      expect(await readFile(handle.logPath(name), 'utf8')).toContain('; the supervisor restarts it');
    }
  });

  it('every daprd sent SIGHUP at once mid fan-out (a runtime restart in each): the invoice ends golden', {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    const report = await crashAllDuringFanout(handle, 'sidecar', 'SIGHUP', {
      pages: 10,
      latencyMs: 1_500,
      timeoutMs: 220_000,
    });
    expect(report.outcome).toBe('golden');
    for (const p of handle.processes.filter((q) => q.kind === 'sidecar'))
      expect(await readFile(handle.logPath(p.name), 'utf8')).toContain(
        "Received signal 'hangup'; restarting",
      );
  });

  it('a split that kills its service every time fails the run within 3 attempts; the other invoice completes', {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    await expectPoisonPillFails(
      { handle, apiUrl: handle.apiUrl, llmUrl: handle.llmUrl },
      { worker: 'split', attempts: 3, code: /worker_lost/, timeoutMs: 180_000 },
    );
  });

  it('a split over the work budget fails the run at once, on its first attempt', async () => {
    const id = await expectOverBudgetNotRetried(stack.handle.apiUrl);
    const state = (await (await fetch(`${stack.handle.apiUrl}/api/invoices/${id}`)).json()) as {
      error: string;
    };
    // whenAllWithRetries says how many attempts the call got.
    expect(state.error).toMatch(/failed after 1 attempt\(s\)/);
  });

  // Issue 16: the wait is the workflow's state in the store plus its timer's scheduler job, so
  // it survives a SIGKILL of every process (store, placement, scheduler, sidecars, apps, API).
  it('every process SIGKILLed while a run awaits approval: after the restart it still waits, and the approval lands', {
    timeout: 300_000,
  }, async () => {
    await expectApprovalSurvivesRestart(stack.handle, 'dapr');
  });
});

describe('dapr with two extract replicas (workers=2)', () => {
  beforeAll(async () => {
    stack = await startDapr({ state: 'sqlite', workers: '2' });
  });
  afterAll(async () => {
    await stack?.handle.down();
  });

  it('one of the two extract services SIGKILLed mid fan-out (left dead): the other finishes the run, golden', {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    const workers = handle.topology.extractWorkers ?? [];
    expect(workers).toEqual(['extract', 'extract-2']);
    await expectSurvivorFinishes(handle, 'dapr');
  });
});
