import { readFile } from 'node:fs/promises';
import { crashAllDuringFanout } from '@invoice/tools/kit/chaos';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DaprStack, expectGolden, sample, startDapr, submit, until, untilInFlight } from './helpers';

// SIGKILL mid fan-out, then restart: what Dapr's durability buys. One stack for the file.
let stack: DaprStack;
beforeAll(async () => {
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
});
