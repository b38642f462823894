import { describe, expect, it } from 'vitest';
import {
  binomialHalfCdf,
  compareIntervals,
  formatSummary,
  medianRanks,
  pairwiseRanking,
  rankingSentence,
  summarize,
} from './stats';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('median confidence interval (order statistics)', () => {
  it('matches the binomial by hand', () => {
    // P(B <= 1) for n = 10 is (1 + 10) / 1024
    expect(binomialHalfCdf(10, 1)).toBeCloseTo(11 / 1024, 12);
    expect(binomialHalfCdf(10, 10)).toBe(1);
  });

  it('n = 10 gives ranks 2..9 (coverage 1 − 22/1024), n = 20 gives ranks 6..15', () => {
    expect(medianRanks(10)).toEqual({ low: 2, high: 9, coverage: 1 - 22 / 1024 });
    const r20 = medianRanks(20);
    expect([r20.low, r20.high]).toEqual([6, 15]);
    expect(r20.coverage).toBeGreaterThanOrEqual(0.95);
    // one step narrower would fall below 95 %
    expect(1 - 2 * binomialHalfCdf(20, 6)).toBeLessThan(0.95);
  });

  it('summarizes 1..10 (shuffled) as median 5.5 with CI [2, 9] and no p95', () => {
    const s = summarize([7, 3, 10, 1, 5, 9, 2, 8, 4, 6]);
    expect(s).toMatchObject({ n: 10, median: 5.5, ci: [2, 9], min: 1, max: 10, coverage: 0.979 });
    expect(s.p95).toBeUndefined();
  });

  it('gives a p95 from 20 samples on, and the whole range when n is too small for 95 %', () => {
    expect(summarize(range(1, 20)).p95).toBe(19);
    expect(summarize(range(1, 20)).ci).toEqual([6, 15]);
    const small = summarize([30, 10, 20]);
    expect(small).toMatchObject({ n: 3, median: 20, ci: [10, 30], coverage: 0.75 });
    expect(formatSummary(small)).toBe('20 [min–max 10–30] n=3');
    expect(formatSummary(summarize(range(1, 10)))).toBe('5.5 [2–9] n=10');
    expect(formatSummary(summarize(range(1, 20)))).toBe('10.5 [6–15] n=20, p95 19');
  });
});

describe('rankings only where intervals do not overlap', () => {
  const fast = summarize(range(100, 109)); // CI [101, 108]
  const slow = summarize(range(120, 129)); // CI [121, 128]
  const wide = summarize([90, 100, 105, 110, 115, 120, 125, 130, 140, 150]); // CI [100, 140]

  it('calls apart intervals lower/higher and overlapping ones a tie', () => {
    expect(compareIntervals(fast, slow)).toBe('lower');
    expect(compareIntervals(slow, fast)).toBe('higher');
    expect(compareIntervals(fast, wide)).toBe('tie');
    expect(compareIntervals(slow, wide)).toBe('tie');
  });

  it('states every pair that is apart and ties the rest, even when a tie bridges them', () => {
    const ranking = pairwiseRanking([
      { name: 'B', value: slow },
      { name: 'W', value: wide },
      { name: 'A', value: fast },
    ]);
    expect(ranking.order).toEqual(['A', 'W', 'B']); // W's median 117.5 sits between
    expect(ranking.apart).toEqual([['A', 'B']]);
    expect(ranking.ties).toEqual([
      ['A', 'W'],
      ['W', 'B'],
    ]);
    expect(
      rankingSentence(
        [
          { name: 'A', value: fast },
          { name: 'B', value: slow },
        ],
        'faster',
      ),
    ).toBe('A faster than B');
  });
});
