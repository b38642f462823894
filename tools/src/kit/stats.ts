/**
 * Statistics that say what they are: a median with a distribution-free 95 % confidence
 * interval (order statistics of the sample, via the binomial distribution), the sample count,
 * and a p95 only when there are enough samples for one. Pure functions, no I/O.
 */

/** A p95 from fewer samples than this is just the maximum of a few runs: call it that. */
export const MIN_SAMPLES_FOR_P95 = 20;

export type Summary = {
  n: number;
  median: number;
  /** 95 % confidence interval of the median; [min, max] when n is too small for 95 % */
  ci: [number, number];
  /** the interval's real coverage (order-statistic intervals are discrete), e.g. 0.979 for n = 10 */
  coverage: number;
  min: number;
  max: number;
  /** only when n >= MIN_SAMPLES_FOR_P95 */
  p95?: number;
};

const sortNumbers = (values: number[]) => [...values].sort((a, b) => a - b);

/** P(X <= k) for X ~ Binomial(n, 1/2), exact for the n of a benchmark (up to a few hundred). */
export function binomialHalfCdf(n: number, k: number): number {
  if (k < 0) return 0;
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = term;
  for (let i = 1; i <= Math.min(k, n); i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return Math.min(1, sum);
}

/**
 * 1-based ranks [l, n − l + 1] of the order statistics that bracket the median with at least
 * `level` coverage: the largest l with 1 − 2·P(B <= l − 1) >= level, B ~ Binomial(n, 1/2).
 * When no interval reaches the level (n <= 5 for 95 %), the whole sample [1, n].
 */
export function medianRanks(n: number, level = 0.95): { low: number; high: number; coverage: number } {
  let best = { low: 1, high: n, coverage: 1 - 2 * binomialHalfCdf(n, 0) };
  for (let l = 2; l <= Math.floor((n + 1) / 2); l++) {
    const coverage = 1 - 2 * binomialHalfCdf(n, l - 1);
    if (coverage < level) break;
    best = { low: l, high: n - l + 1, coverage };
  }
  return best;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = sortNumbers(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (no interpolation). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = sortNumbers(values);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Median, its 95 % CI, n, min, max, and p95 when there are enough samples. */
export function summarize(values: number[], digits = 1): Summary {
  const s = sortNumbers(values.filter((v) => Number.isFinite(v)));
  const n = s.length;
  if (n === 0)
    return { n, median: Number.NaN, ci: [Number.NaN, Number.NaN], coverage: 0, min: NaN, max: NaN };
  const ranks = medianRanks(n);
  return {
    n,
    median: round(median(s), digits),
    ci: [round(s[ranks.low - 1]!, digits), round(s[ranks.high - 1]!, digits)],
    coverage: round(ranks.coverage, 3),
    min: round(s[0]!, digits),
    max: round(s[n - 1]!, digits),
    ...(n >= MIN_SAMPLES_FOR_P95 ? { p95: round(percentile(s, 95), digits) } : {}),
  };
}

export type Verdict = 'lower' | 'higher' | 'tie';

/**
 * "a is lower than b" only when a's interval lies wholly below b's; overlapping intervals are a
 * tie within noise, whatever the medians say.
 */
export function compareIntervals(a: Pick<Summary, 'ci'>, b: Pick<Summary, 'ci'>): Verdict {
  if (a.ci[1] < b.ci[0]) return 'lower';
  if (b.ci[1] < a.ci[0]) return 'higher';
  return 'tie';
}

export type Ranked<T> = { name: string; value: T };

/**
 * `a` with its interval widened to cover `b`'s too: a second run of the same cell. Two stacks
 * whose widened intervals are still apart are apart in both runs, in the same direction, and
 * across them; that is the only ranking the matrix states once a second run exists.
 */
export function widenSummary(a: Summary, b: Summary | undefined): Summary {
  if (!b?.n || !Number.isFinite(b.median)) return a;
  return { ...a, ci: [Math.min(a.ci[0], b.ci[0]), Math.max(a.ci[1], b.ci[1])] };
}

/**
 * Every pair of entries as a statement that holds: "A < B" where A's interval lies below B's,
 * "A ≈ B" (tie within noise) otherwise. Sorted by median, so the lowest comes first.
 */
export function pairwiseRanking(entries: Array<Ranked<Summary>>) {
  const sorted = [...entries].filter((e) => e.value.n > 0).sort((a, b) => a.value.median - b.value.median);
  const apart: Array<[string, string]> = [];
  const ties: Array<[string, string]> = [];
  for (let i = 0; i < sorted.length; i++)
    for (let j = i + 1; j < sorted.length; j++) {
      const verdict = compareIntervals(sorted[i]!.value, sorted[j]!.value);
      const pair: [string, string] = [sorted[i]!.name, sorted[j]!.name];
      if (verdict === 'tie') ties.push(pair);
      else apart.push(verdict === 'lower' ? pair : [pair[1], pair[0]]);
    }
  return { order: sorted.map((e) => e.name), apart, ties };
}

/**
 * The ranking as one sentence: which pairs are apart (lower first) and which tie within noise.
 * `lowerIs` names the better direction ("faster", "cheaper").
 */
export function rankingSentence(entries: Array<Ranked<Summary>>, lowerIs: string): string {
  const { apart, ties } = pairwiseRanking(entries);
  const parts: string[] = [];
  if (apart.length) parts.push(apart.map(([a, b]) => `${a} ${lowerIs} than ${b}`).join('; '));
  if (ties.length) parts.push(`tie within noise: ${ties.map(([a, b]) => `${a} ≈ ${b}`).join(', ')}`);
  return parts.join('. ') || 'nothing to rank';
}

/**
 * "1234 [1200–1290] n=10" (median [95 % CI] n), ", p95 …" only when n is large enough, and
 * "1234 [min–max 1100–1400] n=5" when n is too small for a 95 % interval; "-" when empty.
 */
export function formatSummary(s: Summary | undefined, unit = ''): string {
  if (!s?.n || !Number.isFinite(s.median)) return '-';
  // Too few runs for a 95 % interval: say plainly that the bracket is the whole sample.
  if (s.coverage < 0.95) return `${s.median}${unit} [min–max ${s.min}–${s.max}] n=${s.n}`;
  const base = `${s.median}${unit} [${s.ci[0]}–${s.ci[1]}] n=${s.n}`;
  return s.p95 !== undefined ? `${base}, p95 ${s.p95}` : base;
}

/** The pairs (stack run i, ideal run i) as ratios: interleaving makes each pair share the machine's state. */
export function pairedRatios(measured: number[], ideal: number[]): number[] {
  const n = Math.min(measured.length, ideal.length);
  return Array.from({ length: n }, (_, i) => measured[i]! / ideal[i]!).filter((r) => Number.isFinite(r));
}
