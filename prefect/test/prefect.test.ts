import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  decide,
  expectGivesUpAfterMaxAttempts,
  runTinySynthetic,
  runWithScriptedRetries,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CANCEL_TAG } from '../src/orchestrator';
import { expectGolden, type PrefectStack, sample, startPrefect, submit, until } from './helpers';

// The Prefect stack on SQLite, started once for this file.
let stack: PrefectStack;
beforeAll(async () => {
  // Synthetic uploads run the synthetic activity set; every other test posts real PDFs.
  stack = await startPrefect({ ACTIVITY_MODE: 'synthetic' });
});
afterAll(async () => {
  await stack?.handle.down();
});
beforeEach(async () => {
  await mockLlm.neutral(stack.handle.llmUrl);
});

describe('prefect fan-out (extract.map on a ThreadPoolTaskRunner)', () => {
  it('N = 50 pages reach min(N, C) = 50 concurrent LLM calls, and 8 with C = 8', {
    timeout: 300_000,
  }, async () => {
    const { apiUrl, llmUrl } = stack.handle;
    for (const cap of [0, 8]) {
      await mockLlm.neutral(llmUrl);
      await mockLlm.configure(llmUrl, {
        latency: { kind: 'fixed', ms: cap ? 1_000 : 10_000 },
        concurrency: cap,
      });
      const s = sample(50);
      await expectGolden(await until(apiUrl, await submit(apiUrl, s), 280_000), s);
      const metrics = await mockLlm.metrics(llmUrl);
      expect(metrics.pages).toBe(50);
      expect(metrics.maxInFlight).toBe(Math.min(50, cap || 50));
    }
  });
});

// After the fan-out: the conformance deadline check leaves its hung LLM call in flight until
// the extract service's 30 s attempt timeout (no engine can abort it: the service does not watch
// its caller), which the fan-out's in-flight count would otherwise have had to wait out.
describeConformance({
  name: 'prefect (SQLite)',
  stack: () => ({ apiUrl: stack.handle.apiUrl, llmUrl: stack.handle.llmUrl, blobs: stack.blobs }),
  timeoutMs: 180_000,
});

describe('prefect retries (LLM_RETRY_POLICY as task retries, via retry-policy.json)', () => {
  it('scripted 429 then 500 on every page: exactly 3 calls per page, golden result', {
    timeout: 180_000,
  }, async () => {
    const { apiUrl, llmUrl } = stack.handle;
    const body = await runWithScriptedRetries(apiUrl, llmUrl, 10);
    const run = await stack.flowRun(body.id);
    expect(run.state?.type).toBe('COMPLETED');
    expect((await mockLlm.metrics(llmUrl)).duplicateSuccesses).toBe(0);
  });

  it('gives up after maxAttempts and the flow run fails with the reason', { timeout: 180_000 }, async () => {
    const { apiUrl, llmUrl } = stack.handle;
    const id = await expectGivesUpAfterMaxAttempts(apiUrl, llmUrl);
    expect((await stack.flowRun(id)).state?.type).toBe('FAILED');
  });
});

describe('prefect engine-only mode', () => {
  it('runs the synthetic activity set (ACTIVITY_MODE=synthetic) through the same flow', async () => {
    const { apiUrl, llmUrl } = stack.handle;
    const body = await runTinySynthetic(apiUrl, llmUrl, stack.blobs, 7);
    expect((await stack.flowRun(body.id)).state?.type).toBe('COMPLETED');
  });
});

describe('prefect cancellation (set_state Cancelling, the worker kills the flow process)', () => {
  it('a cancelled flow run ends Cancelled in Prefect and the crash watcher never resubmits it', {
    timeout: 180_000,
  }, async () => {
    const { apiUrl, llmUrl } = stack.handle;
    await mockLlm.configure(llmUrl, { latency: { kind: 'fixed', ms: 200 }, concurrency: 4 });
    const id = await submit(apiUrl, sample(50));
    while ((await mockLlm.metrics(llmUrl)).successfulCalls < 1) await sleep(50);
    expect((await fetch(`${apiUrl}/api/invoices/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    let run = await stack.flowRun(id);
    while (run.state?.type === 'CANCELLING' || run.state?.type === 'RUNNING') {
      await sleep(100);
      run = await stack.flowRun(id);
    }
    console.log(`[prefect cancel] flow run ended ${run.state?.name}: ${run.state?.message ?? ''}`);
    // Crashed only when the kill won over the flow's own exit; the tag then keeps it cancelled.
    expect(['CANCELLED', 'CRASHED']).toContain(run.state?.type);
    expect(run.tags).toContain(CANCEL_TAG);
    // Several crash-watch ticks later the run is where it ended, never put back to Scheduled.
    await sleep(5_000);
    const later = await stack.flowRun(id);
    expect(later.state?.type).toBe(run.state?.type);
    expect(later.run_count).toBe(run.run_count);
    const body = (await (await fetch(`${apiUrl}/api/invoices/${id}`)).json()) as { status: string };
    expect(body.status).toBe('cancelled');
  });
});

describe('prefect approval (suspend_flow_run: the wait is a server state, not a process)', () => {
  it('while awaiting_approval the flow process has exited and the run is Suspended; approved, a new flow process finishes it', {
    timeout: 240_000,
  }, async () => {
    const { apiUrl } = stack.handle;
    const mismatch = SAMPLES.find((s) => s.name.includes('mismatch'))!;
    const id = await submit(apiUrl, mismatch);
    expect((await until(apiUrl, id, 180_000, ['awaiting_approval'])).status).toBe('awaiting_approval');
    const suspended = await stack.flowRun(id);
    expect(suspended.state?.type).toBe('PAUSED');
    expect(suspended.state?.name).toBe('Suspended');
    // The process that ran split..aggregate exits once the suspend is accepted (raise Pause).
    const pid = Number(suspended.infrastructure_pid?.split(':').pop());
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive()) await sleep(100);
    const resumedAt = Date.now();
    expect((await decide(apiUrl, id, true, 'ok')).status).toBe(202);
    const done = await until(apiUrl, id, 180_000);
    expect(done.status).toBe('completed');
    expect(done.invoice?.approval).toEqual({ approved: true, note: 'ok', decidedBy: 'approver' });
    const resumed = await stack.flowRun(id);
    console.log(
      `[prefect approval] suspended run held pid ${pid} until it exited; approval to completed ${Date.now() - resumedAt} ms (a new flow process, cached tasks); infrastructure_pid now ${resumed.infrastructure_pid}`,
    );
    expect(resumed.infrastructure_pid).not.toBe(suspended.infrastructure_pid);
  });
});
