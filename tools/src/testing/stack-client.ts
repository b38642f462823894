import { readFile } from 'node:fs/promises';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import type { AcceptedBody, ErrorBody, StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { syntheticSpecPdf } from '@invoice/shared/flow/synthetic';
import { withTestFault } from '@invoice/shared/flow/test-faults';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import type { Sample } from '@invoice/shared/samples/corpus';
import { expect } from 'vitest';
import { runSynthetic } from '../kit/engine-bench';
import { type StackHandle, upStack } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';

/** What every stack's integration tests do to a running stack over the common contract. */
export {
  type ApprovalAcrossRestart,
  approvalAcrossRestart,
  decide,
  type OneOfTwoWorkers,
  oneOfTwoWorkersKilled,
  onlyKilledWorkRepeated,
  restartEveryProcess,
  sample,
  submit,
  until,
  untilInFlight,
} from './fault-scenarios';

import {
  approvalAcrossRestart,
  type OneOfTwoWorkers,
  oneOfTwoWorkersKilled,
  onlyKilledWorkRepeated,
  sample,
  submit,
  until,
  untilInFlight,
} from './fault-scenarios';

/** POST ?wait=true and return the final body, asserting the 200. */
export async function runToEnd(apiUrl: string, s: Sample): Promise<StatusBody> {
  const response = await fetch(`${apiUrl}/api/invoices?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: await readFile(s.pdfPath),
  });
  const body = (await response.json()) as StatusBody;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

export async function expectGolden(body: StatusBody, s: Sample) {
  expect(body.status, body.error).toBe('completed');
  expect(serializeInvoice(body.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
}

/**
 * Every attempt of a 1-page invoice fails with a 500: the stack must give up after exactly
 * LLM_RETRY_POLICY.maxAttempts calls and report the run as failed, through ?wait=true and GET.
 */
export async function expectGivesUpAfterMaxAttempts(apiUrl: string, llmUrl: string): Promise<string> {
  const attempts = LLM_RETRY_POLICY.maxAttempts;
  await mockLlm.configure(llmUrl, {
    failures: {
      rate429: 0,
      rate500: 0,
      rateHang: 0,
      retryAfterSeconds: 0,
      script: Array(attempts).fill('500'),
    },
  });
  const response = await fetch(`${apiUrl}/api/invoices?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: await readFile(sample(1).pdfPath),
  });
  const body = (await response.json()) as ErrorBody & { id: string };
  expect(response.status).toBe(502);
  expect(body.error.code).toBe('workflow_failed');
  const metrics = await mockLlm.metrics(llmUrl);
  expect(metrics.totalCalls).toBe(attempts);
  expect(metrics.failures['500']).toBe(attempts);
  const state = (await (await fetch(`${apiUrl}/api/invoices/${body.id}`)).json()) as StatusBody;
  expect(state.status).toBe('failed');
  expect(state.error).toMatch(/500/);
  return body.id;
}

/**
 * Every page's first attempt answers 429, its second 500: the invoice must still come back golden,
 * with exactly 3 LLM calls per page. Returns the final body so the stack can check its own side.
 */
export async function runWithScriptedRetries(
  apiUrl: string,
  llmUrl: string,
  pages = 10,
): Promise<StatusBody> {
  await mockLlm.configure(llmUrl, {
    failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.05, script: ['429', '500'] },
  });
  const body = await runToEnd(apiUrl, sample(pages));
  await expectGolden(body, sample(pages));
  const metrics = await mockLlm.metrics(llmUrl);
  expect(metrics.failures['429']).toBe(pages);
  expect(metrics.failures['500']).toBe(pages);
  expect(metrics.totalCalls).toBe(3 * pages);
  expect(Object.values(metrics.callsPerPage)).toEqual(Array(pages).fill(3));
  return body;
}

/**
 * A stack started once per test file together with a client of its engine; the client is
 * closed before the stack goes down, and a client that cannot connect takes the stack down.
 */
export async function startStackWith<C extends { close(): Promise<void> }>(
  stack: string,
  settings: Record<string, string>,
  open: (handle: StackHandle) => Promise<C>,
) {
  const handle = await upStack(stack, { settings });
  try {
    const client = await open(handle);
    return {
      handle,
      apiUrl: handle.apiUrl,
      llmUrl: handle.llmUrl,
      blobs: blobStoreFromEnv(handle.env),
      client,
      async close() {
        await client.close();
        await handle.down();
      },
    };
  } catch (error) {
    await handle.down();
    throw error;
  }
}

/**
 * Counts the launcher's own supervised restarts of `name` (it restarts a process that exits on
 * its own, as compose's `restart: unless-stopped` would). A poison-pill test needs them: the
 * engine can only make its next attempt on a live worker.
 */
export function supervise(handle: StackHandle, name: string) {
  const restarts = () => handle.status().find((p) => p.name === name)!.restarts;
  const before = restarts();
  return {
    async stop() {
      await handle.whenReady(name).catch(() => {});
      return restarts() - before;
    },
  };
}

async function submitBytes(apiUrl: string, pdf: Uint8Array): Promise<string> {
  const response = await fetch(`${apiUrl}/api/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: Buffer.from(pdf),
  });
  if (response.status !== 202)
    throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as AcceptedBody).id;
}

/**
 * The poison pill (needs SPLIT_TEST_FAULTS=1 in the stack's environment, see
 * shared/src/flow/test-faults.ts): an upload whose split SIGKILLs `worker` every time. While a
 * supervisor restarts the worker, the engine must give up after its split policy's
 * `attempts` with the run failed and `code` in its error, and a normal 10-page invoice submitted
 * alongside must still complete golden. Returns the number of times the worker died.
 */
export async function expectPoisonPillFails(
  stack: { handle: StackHandle; apiUrl: string; llmUrl: string },
  options: { worker: string; attempts: number; code: RegExp; timeoutMs: number },
): Promise<number> {
  await mockLlm.neutral(stack.llmUrl);
  await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 2_000 } });
  const pill = withTestFault(new Uint8Array(await readFile(sample(1).pdfPath)), 'exit');
  // The normal invoice is in its fan-out when the first crash comes.
  const normal = await submit(stack.apiUrl, sample(10));
  await untilInFlight(stack.llmUrl, 1);
  const supervisor = supervise(stack.handle, options.worker);
  let restarts = 0;
  try {
    const poisoned = await submitBytes(stack.apiUrl, pill);
    const failed = await until(stack.apiUrl, poisoned, options.timeoutMs);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(options.code);
    await expectGolden(await until(stack.apiUrl, normal, options.timeoutMs), sample(10));
  } finally {
    restarts = await supervisor.stop();
  }
  console.log(`[poison pill] ${options.worker} died ${restarts} time(s) before the engine gave up`);
  // At most one death per attempt (an attempt that finds the worker still restarting fails
  // without one), and none after the engine gave up.
  expect(restarts).toBeGreaterThanOrEqual(1);
  expect(restarts).toBeLessThanOrEqual(options.attempts);
  expect(stack.handle.alive(options.worker)).toBe(true);
  expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
  return restarts;
}

/**
 * An upload whose split throws the work budget's error (test fault `over-budget`): the run must
 * fail with split_budget_exceeded and never be retried. Returns the run id so the stack can
 * check its engine's own record of the attempts.
 */
export async function expectOverBudgetNotRetried(apiUrl: string): Promise<string> {
  const pdf = withTestFault(new Uint8Array(await readFile(sample(1).pdfPath)), 'over-budget');
  const response = await fetch(`${apiUrl}/api/invoices?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: Buffer.from(pdf),
  });
  const body = (await response.json()) as ErrorBody & { id: string };
  expect(response.status, JSON.stringify(body)).toBe(502);
  expect(body.error.message).toMatch(/split_budget_exceeded/);
  const state = (await (await fetch(`${apiUrl}/api/invoices/${body.id}`)).json()) as StatusBody;
  expect(state.status).toBe('failed');
  expect(state.error).toMatch(/split_budget_exceeded/);
  return body.id;
}

/**
 * One tiny run of the synthetic activity set on a stack started with ACTIVITY_MODE=synthetic:
 * the invoice must come from the synthetic set (N pages, no LLM call, no page rendered or
 * stored) and the count must have passed through the stack's own orchestration (aggregate
 * counts the extract results it was given). Returns the final body for the engine's side.
 */
export async function runTinySynthetic(
  apiUrl: string,
  llmUrl: string,
  blobs: BlobStore,
  pages = 7,
): Promise<StatusBody> {
  const spec = { pages, latencyMs: 0 };
  const run = await runSynthetic(apiUrl, await syntheticSpecPdf(spec), spec);
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  expect(run.ok).toBe(true);
  expect(run.body.invoice).toMatchObject({ invoiceNumber: 'synthetic', pageCount: pages, lineItems: [] });
  expect(run.body.timings).toBeDefined();
  expect((await mockLlm.metrics(llmUrl)).totalCalls).toBe(0);
  const id = run.body.id;
  expect(await blobs.list(`invoices/${id}/`)).toEqual([
    `invoices/${id}/invoice.json`,
    `invoices/${id}/source.pdf`,
    `invoices/${id}/timings.json`,
  ]);
  return run.body;
}

/**
 * approvalAcrossRestart, asserted as every stack's crash test needs it: still waiting after a
 * SIGKILL of every process, the approval sent then is a 202, and the run completes with the
 * decision on its invoice.
 */
export async function expectApprovalSurvivesRestart(handle: StackHandle, label: string) {
  const result = await approvalAcrossRestart(handle);
  console.log(`[${label} approval] killed and restarted: ${result.killed.join(', ')}`);
  expect(result.afterRestart).toBe('awaiting_approval');
  expect(result.approvalStatus).toBe(202);
  expect(result.final?.status, result.final?.error).toBe('completed');
  expect(result.final?.invoice?.approval).toEqual({
    approved: true,
    note: 'after restart',
    decidedBy: 'approver',
  });
  return result;
}

/** onlyKilledWorkRepeated, asserted so a failure shows which number broke it. */
export function expectOnlyKilledWorkRepeated(result: OneOfTwoWorkers) {
  expect(result.duplicatedAfterKill).toEqual([]);
  expect(result.duplicates).toBeLessThanOrEqual(result.pagesCalledByKill);
  expect(onlyKilledWorkRepeated(result)).toBe(true);
}

/**
 * oneOfTwoWorkersKilled on the first of the topology's two extract workers, asserted: the other
 * finishes the invoice golden, and only pages the dead worker can have held (called by the kill)
 * ran twice.
 */
export async function expectSurvivorFinishes(handle: StackHandle, label: string) {
  const workers = handle.topology.extractWorkers ?? [];
  expect(workers).toHaveLength(2);
  const result = await oneOfTwoWorkersKilled(handle, workers[0]!);
  const { final, ...numbers } = result;
  console.log(`[${label} workers=2] killed ${workers[0]}: ${JSON.stringify(numbers)}`);
  await expectGolden(final, sample(50));
  expectOnlyKilledWorkRepeated(result);
  return result;
}
