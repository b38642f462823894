import { readFile } from 'node:fs/promises';
import { serveApp } from '@invoice/shared/contract/serve';
import type { Timings } from '@invoice/shared/flow/types';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackHandle, upStack } from '../launcher/launcher';
import { concurrentUnderFailures, killDuringFanout } from './chaos';
import { dispatchOverheadMs, idealFanoutMs, planCells, type RunSample, toRow } from './fanout';
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
  const timings = (extractMs: number): Timings => ({
    totalMs: extractMs + 120,
    splitMs: 100,
    extractMs,
    aggregateMs: 10,
    orchestrationMs: 10,
    queueMs: 4,
    dispatchGapMs: 3,
    collectGapMs: 3,
  });
  const run = (e2eMs: number, extractMs: number, ok = true): RunSample => ({
    ok,
    e2eMs,
    timings: timings(extractMs),
    llmCallMs: 500,
    maxInFlight: 50,
  });

  it('plans more runs for the headline cells and fewer for the big ones', () => {
    expect(
      planCells({
        pages: [10, 50, 200],
        latencies: [500],
        runs: 5,
        headline: [{ pages: 50, latencyMs: 500 }],
        headlineRuns: 10,
        bigPages: 200,
        bigRuns: 3,
      }).map((c) => c.runs),
    ).toEqual([5, 10, 3]);
  });

  it('dispatch overhead = extract wall − ceil(N/C) × the mock’s per-call time', () => {
    expect(idealFanoutMs(50, 0, 500)).toBe(500); // no cap: one wave
    expect(idealFanoutMs(50, 32, 500)).toBe(1000); // two waves under C = 32
    expect(dispatchOverheadMs(run(1300, 540), 50, 0)).toBe(40);
    expect(dispatchOverheadMs(run(1300, 540, false), 50, 0)).toBeUndefined();
  });

  it('summarizes interleaved pairs: medians, paired ratios, failed runs as errors', () => {
    const measured = [1300, 1310, 1290, 1305, 1295].map((ms) => run(ms, 540));
    const ideal = [1000, 1010, 990, 1005, 995].map((ms) => run(ms, 510));
    measured.push(run(9999, 540, false));
    ideal.push(run(1000, 510));
    const row = toRow({ pages: 50, latencyMs: 500, runs: 6 }, measured, ideal);
    expect(row).toMatchObject({ pages: 50, latencyMs: 500, overheadMs: 300, overheadPerPageMs: 6 });
    expect(row.measured.e2e).toMatchObject({ n: 5, median: 1300 });
    expect(row.measured.errors).toBe(1);
    expect(row.measured.dispatchOverhead.median).toBe(40);
    expect(row.ideal.dispatchOverhead.median).toBe(10);
    expect(row.ratio.n).toBe(5); // the failed pair is left out
    expect(row.ratio.median).toBe(1.3);
    expect(row.measured.gaps.dispatch.median).toBe(3);
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
