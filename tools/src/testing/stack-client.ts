import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import type { AcceptedBody, ErrorBody, StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { syntheticSpecPdf } from '@invoice/shared/flow/synthetic';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { SAMPLES, type Sample } from '@invoice/shared/samples/corpus';
import { expect } from 'vitest';
import { runSynthetic } from '../kit/engine-bench';
import { type StackHandle, upStack } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';

/** What every stack's integration tests do to a running stack over the common contract. */

export const sample = (pages: number): Sample => {
  const found = SAMPLES.find((s) => s.pages === pages && !s.name.includes('mismatch'));
  if (!found) throw new Error(`no ${pages}-page sample in data/samples`);
  return found;
};

/** POST without waiting: the run goes on in the stack while the test injects faults. */
export async function submit(apiUrl: string, s: Sample): Promise<string> {
  const response = await fetch(`${apiUrl}/api/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: await readFile(s.pdfPath),
  });
  if (response.status !== 202)
    throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as AcceptedBody).id;
}

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

/**
 * Polls GET /api/invoices/:id until completed or failed. Connection errors and non-200s are
 * tolerated until the deadline: the API may be down while a test has killed a process.
 */
export async function until(apiUrl: string, id: string, timeoutMs: number): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/api/invoices/${id}`);
      last = response.status === 200 ? await response.json() : `${response.status} ${await response.text()}`;
      const body = last as StatusBody;
      if (response.status === 200 && (body.status === 'completed' || body.status === 'failed')) return body;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`run ${id} did not finish in ${timeoutMs} ms; last answer: ${JSON.stringify(last)}`);
}

export async function expectGolden(body: StatusBody, s: Sample) {
  expect(body.status, body.error).toBe('completed');
  expect(serializeInvoice(body.invoice!)).toBe(await readFile(s.goldenPath, 'utf8'));
}

/** Waits until the mock LLM has at least `n` calls in flight: the fan-out is under way. */
export async function untilInFlight(llmUrl: string, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await mockLlm.metrics(llmUrl)).inFlight >= n) return;
    await sleep(25);
  }
  throw new Error(`the mock LLM never had ${n} calls in flight`);
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
