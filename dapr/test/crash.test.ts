import { readFile } from 'node:fs/promises';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DaprStack, sample, startDapr, submit, until, untilInFlight } from './helpers';

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

describe('dapr crash recovery', () => {
  it('SIGKILL of the extract service mid fan-out: the invoice still equals its golden; duplicates are counted', {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    const s = sample(10);
    const id = await submit(handle.apiUrl, s);
    await untilInFlight(handle.llmUrl, 1);
    await handle.kill('extract', 'SIGKILL');
    await handle.restart('extract');
    const done = await until(handle.apiUrl, id, 220_000);
    expect(done.status, done.error).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
    const metrics = await mockLlm.metrics(handle.llmUrl);
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
    const { handle } = stack;
    const s = sample(10);
    const id = await submit(handle.apiUrl, s);
    await untilInFlight(handle.llmUrl, 1);
    await handle.kill('workflow', 'SIGKILL');
    await handle.kill('workflow-dapr', 'SIGKILL');
    await handle.restart('workflow-dapr');
    await handle.restart('workflow');
    const done = await until(handle.apiUrl, id, 220_000);
    expect(done.status, done.error).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
    const metrics = await mockLlm.metrics(handle.llmUrl);
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
    const s = sample(10);
    const id = await submit(handle.apiUrl, s);
    await untilInFlight(handle.llmUrl, 1);
    const appPid = handle.pid('workflow');
    await handle.kill('workflow-dapr', 'SIGKILL');
    await handle.restart('workflow-dapr');
    const done = await until(handle.apiUrl, id, 220_000);
    expect(handle.pid('workflow')).toBe(appPid);
    expect(done.status, done.error).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
    expect(await readFile(handle.logPath('workflow'), 'utf8')).toContain('starting a fresh runtime');
  });
});
