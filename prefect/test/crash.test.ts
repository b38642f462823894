import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SPLIT_RETRY_POLICY } from '@invoice/shared/flow/split-policy';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  expectApprovalSurvivesRestart,
  expectOnlyKilledWorkRepeated,
  expectOverBudgetNotRetried,
  expectPoisonPillFails,
  oneOfTwoWorkersKilled,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FlowRun } from '../src/prefect-rest';
import {
  expectGolden,
  type PrefectStack,
  sample,
  startPrefect,
  submit,
  until,
  untilInFlight,
} from './helpers';

// SIGKILL mid fan-out, then restart: what Prefect's persisted results + resubmission buy. One
// stack, with two process workers on the pool (workers=2): every test but the last runs the same
// with one, and the last kills the first of the two.
let stack: PrefectStack;
beforeAll(async () => {
  // TEST ONLY: lets an upload's marker make split kill its service (shared/src/flow/test-faults.ts).
  process.env.SPLIT_TEST_FAULTS = '1';
  stack = await startPrefect({ workers: '2' });
});
afterAll(async () => {
  await stack?.handle.down();
});
beforeEach(async () => {
  await mockLlm.neutral(stack.handle.llmUrl);
  // Pages finish at different times, so the kill lands with some tasks done and some in flight.
  await mockLlm.configure(stack.handle.llmUrl, { latency: { kind: 'uniform', minMs: 500, maxMs: 6_000 } });
});

/** Submits 10 pages, runs `crash` once the fan-out is under way, waits for the end; reports duplicates. */
async function crashMidFanout(what: string, crash: (invoiceId: string) => Promise<void>) {
  const { handle } = stack;
  const s = sample(10);
  const id = await submit(handle.apiUrl, s);
  await untilInFlight(handle.llmUrl, 1);
  await crash(id);
  const done = await until(handle.apiUrl, id, 220_000);
  await expectGolden(done, s);
  const metrics = await mockLlm.metrics(handle.llmUrl);
  const run = await stack.flowRun(id);
  console.log(
    `[prefect crash: ${what}] LLM calls ${metrics.totalCalls} for 10 pages; duplicate successes ${metrics.duplicateSuccesses}; flow run_count ${run.run_count}`,
  );
  expect(metrics.pages).toBe(10);
  return { metrics, run };
}

describe('prefect crash recovery', () => {
  it('SIGKILL of the flow process: the worker marks the run Crashed, the API resubmits it, finished tasks are re-used', {
    timeout: 240_000,
  }, async () => {
    const { run } = await crashMidFanout('flow process', async (id) => {
      const pid = Number((await stack.flowRun(id)).infrastructure_pid?.split(':').pop());
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 'SIGKILL');
    });
    expect(run.run_count).toBe(2);
    expect(await readFile(stack.handle.logPath('api'), 'utf8')).toContain(`invoice ${run.name}`);
  });

  it('SIGKILL of the worker (its flow process, in a session of its own, lives on), then a restart', {
    timeout: 240_000,
  }, async () => {
    await crashMidFanout('worker', async () => {
      await stack.handle.kill('worker', 'SIGKILL');
      await stack.handle.restart('worker');
    });
  });

  it('SIGKILL of the Prefect server, then a restart on the same database', { timeout: 240_000 }, async () => {
    await crashMidFanout('server', async () => {
      await stack.handle.kill('prefect-server', 'SIGKILL');
      await stack.handle.restart('prefect-server');
    });
  });

  it("a split that kills its service every time fails the run after the split policy's 3 attempts; the other invoice completes", {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    await expectPoisonPillFails(
      { handle, apiUrl: handle.apiUrl, llmUrl: handle.llmUrl },
      { worker: 'split', attempts: SPLIT_RETRY_POLICY.maxAttempts, code: /worker_lost/, timeoutMs: 180_000 },
    );
    // The poisoned run is the file's only failed flow run so far; its split task run got every
    // attempt of the split policy (3), not the LLM policy's 6, and Prefect's state says why.
    const [poisoned, ...others] = await stack.rest.post<FlowRun[]>('/flow_runs/filter', {
      flow_runs: { state: { type: { any_: ['FAILED'] } } },
    });
    expect(others).toEqual([]);
    console.log(`[poison pill] prefect: ${poisoned?.state?.message}`);
    expect(poisoned!.state?.type).toBe('FAILED');
    expect(poisoned!.state?.message).toMatch(/worker_lost: split unreachable/);
    const split = await stack.taskRun(poisoned!.name, 'split');
    expect(split.run_count).toBe(SPLIT_RETRY_POLICY.maxAttempts);
    expect(split.state?.type).toBe('FAILED');
  });

  it('a split over the work budget fails the run at once, on its first attempt (retry_condition_fn says no)', {
    timeout: 120_000,
  }, async () => {
    const id = await expectOverBudgetNotRetried(stack.handle.apiUrl);
    const split = await stack.taskRun(id, 'split');
    expect(split.run_count).toBe(1);
    expect(split.state?.type).toBe('FAILED');
    expect((await stack.flowRun(id)).state?.message).toMatch(/split answered 422 split_budget_exceeded/);
  });

  it('a run suspended for approval survives a SIGKILL + restart of every process; the approval sent after lands and no task runs twice', {
    timeout: 400_000,
  }, async () => {
    const result = await expectApprovalSurvivesRestart(stack.handle, 'prefect');
    const metrics = await mockLlm.metrics(stack.handle.llmUrl);
    const run = await stack.flowRun(result.id);
    console.log(
      `[prefect approval across restart] killed ${result.killed.join(', ')}; LLM calls ${metrics.totalCalls} for ${metrics.pages} pages, duplicates ${metrics.duplicateSuccesses}; flow run_count ${run.run_count}`,
    );
    // The resumed run started over in a new flow process: its tasks' persisted results were re-used.
    expect(metrics.totalCalls).toBe(metrics.pages);
    expect(metrics.duplicateSuccesses).toBe(0);
    expect(run.state?.type).toBe('COMPLETED');
  });

  it('one of two process workers SIGKILLed mid fan-out, the one whose flow process runs the invoice: the run still ends golden', {
    timeout: 300_000,
  }, async () => {
    const { handle } = stack;
    const workers = handle.topology.extractWorkers ?? [];
    expect(workers).toEqual(['worker', 'worker-2']);
    const [killed, other] = workers as [string, string];
    // The pool gives a run to whichever worker polls first. worker-2 is stopped (SIGSTOP) until a
    // flow run has a process, so the invoice surely runs in a flow process of the worker killed.
    const otherPid = handle.pid(other)!;
    process.kill(otherPid, 'SIGSTOP');
    let stopped = true;
    const resumeOther = (async () => {
      try {
        while (stopped) {
          const running = await stack.rest.post<FlowRun[]>('/flow_runs/filter', {
            flow_runs: { state: { type: { any_: ['RUNNING'] } } },
          });
          if (running.some((r) => r.infrastructure_pid)) break;
          await sleep(100);
        }
      } finally {
        process.kill(otherPid, 'SIGCONT');
        stopped = false;
      }
    })();
    try {
      const s = sample(50);
      const result = await oneOfTwoWorkersKilled(handle, killed);
      const { final, ...numbers } = result;
      const ranOn = (await readFile(handle.logPath(killed), 'utf8')).includes(
        `Flow run '${final.id}' submitted to infrastructure`,
      );
      const run = await stack.flowRun(final.id);
      console.log(
        `[prefect one of two workers killed] ${JSON.stringify(numbers)}; killed ${killed} (it had spawned the run's flow process: ${ranOn}); flow run_count ${run.run_count}`,
      );
      expect(ranOn).toBe(true);
      await expectGolden(final, s);
      expectOnlyKilledWorkRepeated(result);
    } finally {
      stopped = false;
      await resumeOther;
      await handle.restart(killed);
    }
  });
});
