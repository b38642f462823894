import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AcceptedBody, ErrorBody, InvoiceStatus, StatusBody } from '../contract/types';
import { isFinal } from '../contract/types';
import { SAMPLES } from '../samples/corpus';

/**
 * What the production checks do over HTTP, without vitest: the conformance suite asserts on
 * these, and the measuring kit (tools/src/kit/production-bench.ts) records the same runs.
 */

/** The few mock-LLM fields these checks read (tools/src/mock-llm/metrics.ts). */
export type LlmMetrics = {
  totalCalls: number;
  inFlight: number;
  pages: number;
  successfulCalls: number;
  abandoned: number;
  duplicateSuccesses: number;
  failures: { '429': number; '500': number; hang: number };
};

export const llm = {
  metrics: async (url: string) => (await (await fetch(`${url}/metrics`)).json()) as LlmMetrics,
  reset: (url: string) => fetch(`${url}/metrics/reset`, { method: 'POST' }),
  configure: (url: string, config: object) =>
    fetch(`${url}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(config),
    }),
};
export const NEUTRAL = {
  latency: { kind: 'fixed', ms: 0 },
  failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.2, script: [] },
  concurrency: 0,
  hangPages: [],
};

export async function upload(
  apiUrl: string,
  pdf: Uint8Array,
  key?: string,
  query = '',
  extraHeaders: Record<string, string> = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/pdf', ...extraHeaders };
  if (key !== undefined) headers['idempotency-key'] = key;
  const response = await fetch(`${apiUrl}/api/invoices${query}`, {
    method: 'POST',
    headers,
    body: Buffer.from(pdf),
  });
  return { status: response.status, body: (await response.json()) as AcceptedBody & StatusBody & ErrorBody };
}

export async function statusOf(apiUrl: string, id: string) {
  return (await (await fetch(`${apiUrl}/api/invoices/${id}`)).json()) as StatusBody;
}

export async function until<T>(
  look: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await look();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

export const cancel = (apiUrl: string, id: string) =>
  fetch(`${apiUrl}/api/invoices/${id}/cancel`, { method: 'POST' });

export async function decide(apiUrl: string, id: string, body: unknown) {
  const response = await fetch(`${apiUrl}/api/invoices/${id}/approval`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as AcceptedBody & ErrorBody };
}

export const untilFinal = (apiUrl: string, id: string, timeoutMs: number, also: InvoiceStatus[] = []) =>
  until(
    () => statusOf(apiUrl, id),
    (s) => isFinal(s.status) || also.includes(s.status),
    timeoutMs,
  );

/** LLM calls are settled when every call that arrived has answered, twice in a row. */
export async function settledCalls(llmUrl: string, timeoutMs: number) {
  let previous = -1;
  const m = await until(
    async () => {
      await sleep(250);
      const m = await llm.metrics(llmUrl);
      const answered = m.successfulCalls + m.failures['429'] + m.failures['500'] + m.failures.hang;
      const settled = m.inFlight === 0 && answered === m.totalCalls && m.totalCalls === previous;
      previous = m.totalCalls;
      return { m, settled };
    },
    (x) => x.settled,
    timeoutMs,
  );
  return m.m;
}

export type CancelMidFanout = {
  uploadStatus: number;
  cancelStatus: number;
  /** the status the run reached after the cancel, and once the LLM calls settled */
  end: InvoiceStatus;
  settledStatus: InvoiceStatus;
  pages: number;
  pagesDoneAtCancel: number;
  callsStartedAfter: number;
  servedAfter: number;
  abortedAfter: number;
  secondCancel: { status: number; code?: string };
};

/**
 * A 50-page invoice under a slow, capped LLM (so the fan-out is surely in flight), cancelled
 * after its first page is served: what the engine still spent after the cancel.
 */
export async function cancelMidFanout(
  apiUrl: string,
  llmUrl: string,
  timeoutMs: number,
): Promise<CancelMidFanout> {
  const fifty = SAMPLES.find((s) => s.pages === 50)!;
  await llm.configure(llmUrl, { ...NEUTRAL, latency: { kind: 'fixed', ms: 200 }, concurrency: 4 });
  await llm.reset(llmUrl);
  try {
    const { status, body } = await upload(apiUrl, await readFile(fifty.pdfPath));
    await until(
      () => llm.metrics(llmUrl),
      (m) => m.successfulCalls >= 1,
      timeoutMs,
    );
    // Read just before the cancel: a stack that aborts its calls does so before the 202.
    const atCancel = await llm.metrics(llmUrl);
    const response = await cancel(apiUrl, body.id);
    const end = await until(
      () => statusOf(apiUrl, body.id),
      (s) => s.status !== 'running' && s.status !== 'pending',
      timeoutMs,
    );
    const settled = await settledCalls(llmUrl, timeoutMs);
    const settledStatus = (await statusOf(apiUrl, body.id)).status;
    const again = await cancel(apiUrl, body.id);
    const againBody = (await again.json().catch(() => undefined)) as ErrorBody | undefined;
    return {
      uploadStatus: status,
      cancelStatus: response.status,
      end: end.status,
      settledStatus,
      pages: fifty.pages,
      pagesDoneAtCancel: atCancel.successfulCalls,
      callsStartedAfter: settled.totalCalls - atCancel.totalCalls,
      servedAfter: settled.successfulCalls - atCancel.successfulCalls,
      abortedAfter: settled.abandoned - atCancel.abandoned,
      secondCancel: { status: again.status, code: againBody?.error?.code },
    };
  } finally {
    await llm.configure(llmUrl, NEUTRAL);
  }
}
