import type { Span, Timings } from './types';

const spanMs = (s: Span) => s.finishedAt - s.startedAt;

/**
 * Timings from the activities' own clocks. extractMs is the fan-out's wall time (first start
 * to last finish); orchestrationMs is what the engine added around the activities, including
 * queueing before the first step and between steps. It splits into the three gaps: accepted →
 * split start (queueMs), split end → first extract start (dispatchGapMs), last extract end →
 * aggregate start (collectGapMs). extractActivityMs is the median of the extract activities'
 * own durations, so the kit can tell a slow fan-out from slow activities.
 */
export function computeTimings(p: {
  acceptedAt: number;
  split: Span;
  extract: Span[];
  aggregate: Span;
}): Timings {
  const extractStart = Math.min(...p.extract.map((s) => s.startedAt));
  const extractEnd = Math.max(...p.extract.map((s) => s.finishedAt));
  const totalMs = p.aggregate.finishedAt - p.acceptedAt;
  const splitMs = spanMs(p.split);
  const extractMs = extractEnd - extractStart;
  const aggregateMs = spanMs(p.aggregate);
  const durations = p.extract.map(spanMs).sort((a, b) => a - b);
  const mid = Math.floor(durations.length / 2);
  return {
    totalMs,
    splitMs,
    extractMs,
    aggregateMs,
    orchestrationMs: totalMs - splitMs - extractMs - aggregateMs,
    queueMs: p.split.startedAt - p.acceptedAt,
    dispatchGapMs: extractStart - p.split.finishedAt,
    collectGapMs: p.aggregate.startedAt - extractEnd,
    extractActivityMs: durations.length % 2 ? durations[mid]! : (durations[mid - 1]! + durations[mid]!) / 2,
  };
}
