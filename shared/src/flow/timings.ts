import type { Span, Timings } from './types';

const spanMs = (s: Span) => s.finishedAt - s.startedAt;

/**
 * Timings from the activities' own clocks. extractMs is the fan-out's wall time (first start
 * to last finish); orchestrationMs is what the engine added around the activities, including
 * queueing before the first step and between steps.
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
  return {
    totalMs,
    splitMs,
    extractMs,
    aggregateMs,
    orchestrationMs: totalMs - splitMs - extractMs - aggregateMs,
  };
}
