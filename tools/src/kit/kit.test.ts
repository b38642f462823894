import { readFile } from 'node:fs/promises';
import { serveApp } from '@invoice/shared/contract/serve';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cell } from '../bench/e2e';
import { type StackHandle, upStack } from '../launcher/launcher';
import { concurrentUnderFailures, killDuringFanout } from './chaos';
import { toRow } from './fanout';
import { runLoadTest } from './load-test';

describe('load test', () => {
  it('counts a wrong invoice and an HTTP error as errors, never as successes', async () => {
    const sample = SAMPLES.find((s) => s.name === 'invoice-3p')!;
    const golden = JSON.parse(await readFile(sample.goldenPath, 'utf8'));
    let n = 0;
    // A stack that answers right, wrong (total off by a cent), then 500, in turn.
    const app = new Hono().post('/api/invoices', async (c) => {
      await c.req.arrayBuffer();
      const turn = n++ % 3;
      if (turn === 2) return c.json({ error: { code: 'boom', message: 'x' } }, 500);
      const invoice = turn === 0 ? golden : { ...golden, total: golden.total + 1 };
      return c.json({ id: 'x', status: 'completed', invoice });
    });
    const served = await serveApp(app);
    try {
      const result = await runLoadTest(
        { name: 'fake', apiUrl: served.url, llmUrl: '' },
        { connections: 1, amount: 9, durationS: 0, sample: 'invoice-3p', progress: false },
      );
      expect(result.correct).toBe(3);
      expect(result.errors).toEqual({ wrong_invoice: 3, http_500: 3 });
      expect(result.errorCount).toBe(6);
      expect(result.invoicesPerSec).toBeGreaterThan(0);
    } finally {
      await served.close();
    }
  });
});

describe('fan-out sweep', () => {
  const cell = (p50: number, pages: number): Cell => ({
    stack: 's',
    pages,
    latencyMs: 500,
    runs: 3,
    errors: 0,
    e2eMs: { p50, p95: p50 + 10, mean: p50, samples: [p50] },
    inside: { totalMs: p50, splitMs: 0, extractMs: 0, aggregateMs: 0, orchestrationMs: 42 },
    maxInFlight: pages,
  });

  it('computes overhead = measured − ideal, in total and per page, from known cells', () => {
    const row = toRow(cell(1300, 50), cell(1000, 50));
    expect(row).toMatchObject({
      pages: 50,
      latencyMs: 500,
      measuredP50: 1300,
      idealP50: 1000,
      overheadMs: 300,
      overheadPerPageMs: 6,
      ratio: 1.3,
      p95: 1310,
      orchestrationMs: 42,
    });
    expect(toRow(cell(990, 10), cell(1000, 10))).toMatchObject({
      overheadMs: -10,
      overheadPerPageMs: -1,
      ratio: 0.99,
    });
  });
});

describe('chaos', () => {
  let lossy: StackHandle;
  let reference: StackHandle;
  beforeAll(async () => {
    [lossy, reference] = await Promise.all([
      upStack('lossy', { settings: { LOSE_EVERY: '2' } }),
      upStack('reference'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([lossy?.down(), reference?.down()]);
  });

  it('reports the invoices a broken stack loses', async () => {
    const result = await concurrentUnderFailures(lossy, {
      invoices: 4,
      pages: 1,
      rate500: 0,
      rate429: 0,
      timeoutMs: 60_000,
    });
    expect(result.lost).toBe(2);
    expect(result.correct).toBe(2);
  });

  it('reports zero lost for a stack that keeps them, under injected 500s and 429s', async () => {
    const result = await concurrentUnderFailures(reference, {
      invoices: 6,
      pages: 2,
      rate500: 0.1,
      rate429: 0.05,
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({ correct: 6, lost: 0, incorrect: 0, failed: 0 });
  });

  it('sees that killing a non-durable process mid fan-out loses the invoice', async () => {
    const report = await killDuringFanout(reference, 'api', { pages: 5, latencyMs: 500, timeoutMs: 30_000 });
    expect(report.pagesInFlightAtKill).toBeGreaterThan(0);
    expect(report.completedCorrectly).toBe(false);
    expect(report.outcome).toBe('lost');
  });
});
