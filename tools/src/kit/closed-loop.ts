import { percentile } from '../bench/e2e';

/**
 * A closed-loop load generator and the arithmetic of its results, timed by the kit's own
 * clock (never by a load tool's rounded duration). Pure parts take their clock and data as
 * arguments, so the rates are testable with known start and end times.
 */

/** Milliseconds on a monotonic clock; performance.now in real runs, a fake in tests. */
export type Clock = () => number;

export type RequestOutcome = { ok: boolean; error?: string };
export type RequestRecord = RequestOutcome & { startedAt: number; finishedAt: number };

/** The part of a step whose completions count: after the warm-up, before the end. */
export type Window = { from: number; to: number };

export type StepRun = { window: Window; records: RequestRecord[]; drainedAt: number };

/**
 * `clients` clients, each sending its next request as soon as its last one answered, from now
 * until the end of the window (warm-up + duration). Requests still in flight then are awaited
 * (drained) so the next step starts on a quiet stack, but they finish outside the window and
 * do not count.
 */
export async function closedLoop(o: {
  clients: number;
  warmupMs: number;
  durationMs: number;
  request: () => Promise<RequestOutcome>;
  clock?: Clock;
  /** called after every response, e.g. for a progress line */
  onResponse?: (record: RequestRecord, all: readonly RequestRecord[]) => void;
}): Promise<StepRun> {
  const clock = o.clock ?? (() => performance.now());
  const startedAt = clock();
  const window = { from: startedAt + o.warmupMs, to: startedAt + o.warmupMs + o.durationMs };
  const records: RequestRecord[] = [];
  const client = async () => {
    while (clock() < window.to) {
      const began = clock();
      const outcome = await o.request().catch(
        (error: unknown): RequestOutcome => ({
          ok: false,
          error: (error as Error).message ?? String(error),
        }),
      );
      const record = { ...outcome, startedAt: began, finishedAt: clock() };
      records.push(record);
      o.onResponse?.(record, records);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  return { window, records, drainedAt: clock() };
}

export type Spread = { median: number; min: number; max: number; n: number };

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Median and range of a sample: the spread every figure is shown with. */
export function spread(values: number[], digits = 1): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return {
    median: round(percentile(values, 50), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
    n: values.length,
  };
}

export type StepStats = {
  /** completed correct requests per second over the window */
  perSec: number;
  /** the same rate in each of `buckets` equal parts of the window: how steady it was */
  perSecBuckets: Spread;
  completed: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** finished after the window (drained, not counted) */
  drained: number;
  latencyMs: {
    p50: number;
    /** nearest-rank p99; with 100 samples or fewer it is the maximum (see p99IsMax) */
    p99: number;
    p99IsMax: boolean;
    min: number;
    max: number;
    n: number;
  };
  windowS: number;
};

/**
 * What one step achieved: requests that finished inside the window count, those finishing in
 * the warm-up or during the drain do not. Rates divide by the window's exact length.
 */
export function stepStats(records: readonly RequestRecord[], window: Window, buckets = 5): StepStats {
  const windowMs = window.to - window.from;
  if (windowMs <= 0) throw new Error('the window must have a positive length');
  const inside = records.filter((r) => r.finishedAt > window.from && r.finishedAt <= window.to);
  const ok = inside.filter((r) => r.ok);
  const errorsByKind: Record<string, number> = {};
  for (const r of inside)
    if (!r.ok) errorsByKind[r.error ?? 'error'] = (errorsByKind[r.error ?? 'error'] ?? 0) + 1;
  const bucketMs = windowMs / buckets;
  const perBucket = Array.from({ length: buckets }, (_, i) => {
    const from = window.from + i * bucketMs;
    const to = from + bucketMs;
    return ok.filter((r) => r.finishedAt > from && r.finishedAt <= to).length / (bucketMs / 1000);
  });
  const latencies = ok.map((r) => r.finishedAt - r.startedAt);
  return {
    perSec: round(ok.length / (windowMs / 1000), 3),
    perSecBuckets: spread(perBucket, 3),
    completed: ok.length,
    errors: inside.length - ok.length,
    errorsByKind,
    drained: records.filter((r) => r.finishedAt > window.to).length,
    latencyMs: {
      p50: round(percentile(latencies, 50), 1),
      p99: round(percentile(latencies, 99), 1),
      p99IsMax: latencies.length <= 100,
      min: round(Math.min(...latencies), 1),
      max: round(Math.max(...latencies), 1),
      n: latencies.length,
    },
    windowS: round(windowMs / 1000, 3),
  };
}

/**
 * Correct requests per second of a closed loop, by the time each spent inside the window:
 * every correct request adds the share of its duration that overlaps the window. Counting
 * completions instead quantizes when a request takes about as long as the window (8 clients
 * whose invoices take 30 s, all started together, finish in waves: a 30 s window holds 8 of
 * them or none). With every client busy for the whole window, this is Little's law, N / R.
 */
export function overlapRate(records: readonly RequestRecord[], window: Window): number {
  const windowMs = window.to - window.from;
  if (windowMs <= 0) throw new Error('the window must have a positive length');
  let work = 0;
  for (const r of records) {
    const duration = r.finishedAt - r.startedAt;
    const inside = Math.min(r.finishedAt, window.to) - Math.max(r.startedAt, window.from);
    if (r.ok && inside > 0 && duration > 0) work += inside / duration;
  }
  return round(work / (windowMs / 1000), 3);
}

export type KneeCandidate = { clients: number; perSec: number; p99: number };

/**
 * The knee of a ramp: the highest throughput among the steps whose p99 stays under
 * `factor` × the unloaded p99 (the p99 of the step with the fewest clients). Undefined when
 * no step has a completed request.
 */
export function findKnee<T extends KneeCandidate>(steps: readonly T[], factor = 2) {
  const measured = steps.filter((s) => s.perSec > 0 && Number.isFinite(s.p99));
  if (measured.length === 0) return undefined;
  const unloaded = [...measured].sort((a, b) => a.clients - b.clients)[0]!;
  const limit = factor * unloaded.p99;
  const within = measured.filter((s) => s.p99 < limit);
  const knee = within.reduce((best, s) => (s.perSec > best.perSec ? s : best), within[0] ?? unloaded);
  return { step: knee, unloadedP99: unloaded.p99, p99Limit: round(limit, 1), factor };
}

/**
 * Whether a ramp can stop after its latest step: that step's p99 is at or past `factor` × the
 * unloaded p99 (the first step's), or it completed nothing although an earlier step did (every
 * request outlived the window). A closed loop with more clients only queues more, so the steps
 * after it cannot hold a knee, and on a slow engine they would cost minutes of drain each.
 */
export function pastKnee<T extends KneeCandidate & { completed?: number }>(steps: readonly T[], factor = 2) {
  if (steps.length < 2) return false;
  const first = steps[0]!;
  const latest = steps[steps.length - 1]!;
  const measured = (s: T) => s.perSec > 0 && Number.isFinite(s.p99);
  if (!measured(latest)) return steps.slice(0, -1).some(measured);
  return measured(first) && latest.p99 >= factor * first.p99;
}

/**
 * How many counted runs a cell gets when its warm-up run took `warmupMs`: as many as fit in
 * `budgetMs`, within [min, max]. A stack whose single run takes a minute gets the minimum
 * instead of stretching the comparison by ten minutes; the sample count says so.
 */
export function runsWithin(warmupMs: number, o: { budgetMs: number; min: number; max: number }): number {
  if (!(warmupMs > 0)) return o.max;
  return Math.max(o.min, Math.min(o.max, Math.floor(o.budgetMs / warmupMs)));
}
