import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '@invoice/shared/blob/local';
import { describe, expect, it } from 'vitest';
import { configFromEnv, MockLlmConfig, parseLatency } from './config';
import { createMockLlm } from './server';

const PAGE_TEXT = [
  'INVOICE',
  'Invoice Number: INV-2026-00001',
  'Invoice Date: 2026-03-01',
  'Due Date: 2026-03-31',
  'Currency: EUR',
  'Vendor: Acme GmbH',
  'Vendor Address: 1 Main St, Berlin',
  'Customer: Globex Ltd',
  'Customer Address: 2 High St, London',
  'Page 1 of 1',
  '1 | SKU-1 | Widget | 2 | 10.00 | 20.00',
  'Subtotal: 20.00',
  'Tax: 3.80',
  'Total: 23.80',
].join('\n');

async function mockWithPage(config: Partial<MockLlmConfig> = {}) {
  const blobs = new LocalBlobStore(await mkdtemp(join(tmpdir(), 'mock-llm-')));
  await blobs.put('invoices/x/pages/0001.txt', PAGE_TEXT);
  const mock = createMockLlm(MockLlmConfig.parse(config), blobs);
  /** One extract call for the page text above, as page `pageNumber`; `signal` aborts it. */
  const callPage = (pageNumber: number, signal?: AbortSignal) =>
    mock.app.request('/v1/extract', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pageKey: 'invoices/x/pages/0001.txt', pageNumber }),
      signal,
    });
  const call = () => callPage(1);
  return { mock, call, callPage };
}

async function until(done: () => boolean) {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('mock LLM', () => {
  it('counts a caller that aborted while it waited as abandoned, and still serves it like a provider', async () => {
    const { mock, callPage } = await mockWithPage({ latency: { kind: 'fixed', ms: 300 } });
    const abort = new AbortController();
    const answer = callPage(1, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await Promise.resolve(answer).catch(() => {});
    await until(() => mock.metrics().successfulCalls === 1);
    expect(mock.metrics().abandoned).toBe(1);
  });

  it('reads the page text and answers the same extraction every time', async () => {
    const { call } = await mockWithPage();
    const first = await (await call()).json();
    const second = await (await call()).json();
    expect(second).toEqual(first);
    expect(first).toMatchObject({
      pageNumber: 1,
      header: { invoiceNumber: 'INV-2026-00001' },
      totals: { total: 2380 },
    });
  });

  it('draws the same failure sequence for the same seed', async () => {
    const failures = { rate429: 0.3, rate500: 0.3, rateHang: 0, retryAfterSeconds: 0, script: [] };
    const statuses = async () => {
      const { call } = await mockWithPage({ seed: 99, failures });
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) seen.push((await call()).status);
      return seen;
    };
    const a = await statuses();
    expect(await statuses()).toEqual(a);
    expect(a).toContain(429);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('sends Retry-After with injected 429s and counts calls per page', async () => {
    const { mock, call } = await mockWithPage({
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 1.5, script: ['429'] },
    });
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1.5');
    expect((await call()).status).toBe(200);
    expect(mock.metrics()).toMatchObject({
      totalCalls: 2,
      failures: { '429': 1 },
      callsPerPage: { 'invoices/x/pages/0001.txt': 2 },
      // only the served call is timed, not the 429
      callMs: { count: 1 },
    });
  });

  it('hangs every call for a page in hangPages until the caller gives up, and serves the others', async () => {
    const { mock, call, callPage } = await mockWithPage({ hangPages: [2] });
    expect((await call()).status).toBe(200);
    const abort = new AbortController();
    const stuck = callPage(2, abort.signal);
    await until(() => mock.metrics().failures.hang === 1);
    expect(mock.metrics().inFlight).toBe(1);
    abort.abort();
    expect((await stuck).status).toBe(504);
    expect(configFromEnv({ LLM_HANG_PAGES: '2,7' }).hangPages).toEqual([2, 7]);
  });

  it('a call in flight across a metrics reset still leaves in-flight at 0 once it ends', async () => {
    const { mock, callPage } = await mockWithPage({ hangPages: [2] });
    const abort = new AbortController();
    const stuck = callPage(2, abort.signal);
    await until(() => mock.metrics().inFlight === 1);
    await mock.app.request('/metrics/reset', { method: 'POST' });
    expect(mock.metrics().inFlight).toBe(1);
    abort.abort();
    await stuck;
    expect(mock.metrics().inFlight).toBe(0);
  });

  it('rejects a malformed request and a malformed config', async () => {
    const { mock } = await mockWithPage();
    const bad = await mock.app.request('/v1/extract', { method: 'POST', body: '{"nope":1}' });
    expect(bad.status).toBe(400);
    const badConfig = await mock.app.request('/config', { method: 'PUT', body: '{"concurrency":-1}' });
    expect(badConfig.status).toBe(400);
  });

  it('parses latency specs and env settings', () => {
    expect(parseLatency('fixed:500')).toEqual({ kind: 'fixed', ms: 500 });
    expect(parseLatency('uniform:100-300')).toEqual({ kind: 'uniform', minMs: 100, maxMs: 300 });
    expect(parseLatency('lognormal:200:0.5')).toEqual({ kind: 'lognormal', medianMs: 200, sigma: 0.5 });
    expect(() => parseLatency('soon')).toThrow(/bad latency/);
    expect(configFromEnv({ LLM_CONCURRENCY: '8', LLM_FAIL_SCRIPT: '429,500' })).toMatchObject({
      concurrency: 8,
      failures: { script: ['429', '500'] },
    });
  });
});
