import { describe, expect, it } from 'vitest';
import { computeTimings } from './timings';

describe('timings from activity spans', () => {
  it('splits orchestration time into the three gaps and takes the median extract activity', () => {
    const t = computeTimings({
      acceptedAt: 0,
      split: { startedAt: 10, finishedAt: 110 },
      extract: [
        { startedAt: 115, finishedAt: 215 },
        { startedAt: 120, finishedAt: 240 },
        { startedAt: 130, finishedAt: 270 },
      ],
      aggregate: { startedAt: 280, finishedAt: 300 },
    });
    expect(t).toEqual({
      totalMs: 300,
      splitMs: 100,
      extractMs: 155,
      aggregateMs: 20,
      orchestrationMs: 25,
      queueMs: 10,
      dispatchGapMs: 5,
      collectGapMs: 10,
      extractActivityMs: 120,
    });
    expect(t.queueMs! + t.dispatchGapMs! + t.collectGapMs!).toBe(t.orchestrationMs);
  });
});
