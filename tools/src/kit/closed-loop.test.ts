import { describe, expect, it } from 'vitest';
import {
  closedLoop,
  findKnee,
  overlapRate,
  pastKnee,
  type RequestRecord,
  runsWithin,
  spread,
  stepStats,
} from './closed-loop';
import { activitiesPerWorkflow, predictRunMs, runFigures } from './engine-bench';
import { cpuMsFromStat } from './resources';
import { saturationChart } from './saturation';

const rec = (startedAt: number, finishedAt: number, ok = true, error?: string): RequestRecord => ({
  startedAt,
  finishedAt,
  ok,
  ...(error && { error }),
});

describe('stepStats: rates from known start and end times', () => {
  it('counts only what finished inside the window and divides by its exact length', () => {
    const records = [
      rec(0, 900), // warm-up: before the window
      rec(500, 1_500),
      rec(1_000, 2_000),
      rec(1_200, 3_000),
      rec(2_000, 3_500, false, 'http_502'),
      rec(2_500, 5_000), // the window ends at 5 000: counted
      rec(4_000, 5_001), // drained
    ];
    const stats = stepStats(records, { from: 1_000, to: 5_000 }, 4);
    expect(stats.windowS).toBe(4);
    expect(stats.completed).toBe(4);
    expect(stats.perSec).toBe(1); // 4 correct in 4 s
    expect(stats.errors).toBe(1);
    expect(stats.errorsByKind).toEqual({ http_502: 1 });
    expect(stats.drained).toBe(1);
    // Buckets of 1 s: (1,2] holds 1 500 and 2 000, (2,3] 3 000, (3,4] none, (4,5] 5 000.
    expect(stats.perSecBuckets).toEqual({ median: 1, min: 0, max: 2, n: 4 });
    expect(stats.latencyMs).toMatchObject({
      p50: 1_000,
      p99: 2_500,
      p99IsMax: true,
      min: 1_000,
      max: 2_500,
      n: 4,
    });
  });

  it('a 1.9 s run of 12 requests is 12 / 1.9 per second, not 12 / 2', () => {
    const records = Array.from({ length: 12 }, (_, i) => rec(0, 100 + i * 150));
    expect(stepStats(records, { from: 0, to: 1_900 }).perSec).toBe(6.316);
  });
});

describe('overlapRate: requests by their time inside the window', () => {
  it('8 clients busy with 32 s requests: 8 / 32 per second, wherever the waves of completions fall', () => {
    const waves = (offset: number) =>
      Array.from({ length: 8 }, () =>
        [-1, 0, 1, 2].map((i) => rec(offset + i * 32_000, offset + (i + 1) * 32_000)),
      ).flat();
    const window = { from: 3_000, to: 33_000 };
    for (const offset of [0, 1_500, 20_000]) expect(overlapRate(waves(offset), window)).toBe(0.25);
    // Counting completions, the same load reads 8 or 0 in the 30 s window.
    expect(stepStats(waves(0), window).perSec).toBe(0.267);
    expect(stepStats(waves(1_500), window).perSec).toBe(0);
  });

  it('leaves out failed requests and what lies outside the window', () => {
    const records = [
      rec(0, 2_000),
      rec(2_000, 4_000, false, 'http_502'),
      rec(4_000, 6_000),
      rec(6_000, 8_000),
    ];
    // Half of the first, none of the failed one, all of the third, none of the fourth: 1.5 in 5 s.
    expect(overlapRate(records, { from: 1_000, to: 6_000 })).toBe(0.3);
    expect(() => overlapRate(records, { from: 1_000, to: 1_000 })).toThrow(/positive length/);
  });
});

describe('closedLoop with an injected clock', () => {
  it('one client, requests of 100 ms, a 1 s window after 200 ms warm-up: 12 requests, 10 counted, 10/s', async () => {
    let now = 0;
    const run = await closedLoop({
      clients: 1,
      warmupMs: 200,
      durationMs: 1_000,
      clock: () => now,
      request: async () => {
        now += 100;
        return { ok: true };
      },
    });
    expect(run.window).toEqual({ from: 200, to: 1_200 });
    expect(run.records).toHaveLength(12);
    expect(run.drainedAt).toBe(1_200);
    const stats = stepStats(run.records, run.window);
    expect([stats.completed, stats.perSec, stats.latencyMs.p50]).toEqual([10, 10, 100]);
  });

  it('a request that throws is recorded as a failure with its message, and the loop goes on', async () => {
    let now = 0;
    let calls = 0;
    const run = await closedLoop({
      clients: 1,
      warmupMs: 0,
      durationMs: 300,
      clock: () => now,
      request: async () => {
        now += 100;
        if (++calls === 2) throw new Error('connection reset');
        return { ok: true };
      },
    });
    expect(run.records.map((r) => r.error ?? 'ok')).toEqual(['ok', 'connection reset', 'ok']);
  });
});

describe('findKnee', () => {
  const step = (clients: number, perSec: number, p99: number) => ({ clients, perSec, p99 });
  it('picks the highest throughput whose p99 stays under 2 × the unloaded p99', () => {
    const knee = findKnee([step(1, 1, 1_000), step(2, 1.9, 1_200), step(4, 3.5, 1_900), step(8, 3.8, 2_600)]);
    expect(knee?.step.clients).toBe(4);
    expect([knee?.unloadedP99, knee?.p99Limit]).toEqual([1_000, 2_000]);
  });

  it('does not take a later, faster step whose tail has blown past the limit', () => {
    const knee = findKnee([step(1, 1, 1_000), step(2, 1.2, 2_100), step(4, 5, 9_000)]);
    expect(knee?.step.clients).toBe(1);
  });

  it('has no knee when no step completed anything', () => {
    expect(findKnee([step(1, 0, Number.NaN)])).toBeUndefined();
  });
});

describe('pastKnee: when a ramp may stop', () => {
  const step = (clients: number, perSec: number, p99: number) => ({ clients, perSec, p99 });
  it('stops once the latest p99 reaches 2 × the unloaded p99, not before', () => {
    expect(pastKnee([step(1, 1, 1_000)])).toBe(false);
    expect(pastKnee([step(1, 1, 1_000), step(4, 3, 1_999)])).toBe(false);
    expect(pastKnee([step(1, 1, 1_000), step(4, 3, 1_999), step(16, 3.2, 2_000)])).toBe(true);
  });

  it('stops when a step completed nothing after one that did; not when nothing completed yet', () => {
    expect(pastKnee([step(1, 0.2, 6_000), step(8, 0, Number.NaN)])).toBe(true);
    expect(pastKnee([step(1, 0, Number.NaN), step(8, 0, Number.NaN)])).toBe(false);
  });
});

describe('runsWithin: counted runs that fit a cell budget', () => {
  it('fits the budget, within [min, max]', () => {
    const o = { budgetMs: 45_000, min: 3, max: 5 };
    expect(runsWithin(100, o)).toBe(5);
    expect(runsWithin(11_000, o)).toBe(4);
    expect(runsWithin(60_000, o)).toBe(3);
    expect(runsWithin(Number.NaN, o)).toBe(5);
  });
});

describe('predictRunMs: a cell too slow to run', () => {
  const cell = (pages: number, latencyMs: number, median: number) => ({
    pages,
    latencyMs,
    e2eMs: { median, min: median, max: median, n: 3 },
  });
  it('extrapolates linearly in N from the two largest smaller cells at the same L', () => {
    const cells = [cell(1, 0, 4_500), cell(10, 0, 6_000), cell(100, 0, 11_400), cell(100, 100, 1)];
    expect(predictRunMs(cells, { pages: 1000, latencyMs: 0 })).toBe(65_400);
    expect(predictRunMs(cells, { pages: 1000, latencyMs: 100 })).toBeUndefined();
  });
});

describe('engine-only figures', () => {
  it('per activity: (total − L) / (N + 2); fan-out per extract: (extract wall − L) / N', () => {
    expect(activitiesPerWorkflow(10)).toBe(12);
    const figures = runFigures({ pages: 10, latencyMs: 100 }, 250.456, {
      totalMs: 340,
      splitMs: 5,
      extractMs: 150,
      aggregateMs: 5,
      orchestrationMs: 180,
    });
    expect(figures).toEqual({
      e2eMs: 250.46,
      totalMs: 340,
      fanoutMsPerExtract: 5,
      msPerActivity: 20,
      orchestrationMs: 180,
    });
  });

  it('spread gives median and range with the sample count', () => {
    expect(spread([3, 1, 2, 10])).toEqual({ median: 2, min: 1, max: 10, n: 4 });
  });

  it('reads utime + stime (+ reaped children) from a /proc stat line whose command has spaces and parentheses', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 100';
    expect(cpuMsFromStat(stat, 100)).toBe((1234 + 567) * 10);
  });
});

describe('saturationChart', () => {
  it('draws one labelled line per stack, throughput on x and p99 on y', () => {
    const step = (clients: number, invoicesPerSec: number, p99: number) =>
      ({ clients, invoicesPerSec, latencyMs: { p99 } }) as never;
    const svg = saturationChart([
      { stack: 'temporal', steps: [step(1, 0.5, 2_000), step(2, 0.9, 2_300)] } as never,
      { stack: 'dapr', steps: [step(1, 0.4, 2_500)] } as never,
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>temporal</text>');
    expect(svg).toContain('>dapr</text>');
    expect(svg).toContain('invoices/s');
  });
});
