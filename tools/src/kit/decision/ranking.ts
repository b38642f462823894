/**
 * Rankings that say "tie within noise" unless the measurement supports an order.
 *
 * The kit's statistics (issue 11) give every measured cell a median and a 95 % interval over
 * n runs; this module needs only that much of them, so it works with whatever computes the
 * interval. A figure with no interval (a single reading) is its own interval [v, v] with n = 1.
 */

/** A measured figure: median and the bounds of its confidence interval, over n samples. */
export type Interval = { median: number; lo: number; hi: number; n: number };

export const TIE = 'tie within noise';

export const pointInterval = (value: number): Interval => ({ median: value, lo: value, hi: value, n: 1 });

/** `a` widened to cover `b` (the same figure from a second run); see stats.ts widenSummary. */
export const widenInterval = (a: Interval, b: Interval | undefined): Interval =>
  b ? { ...a, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) } : a;

/** true when the two intervals share at least one value (touching counts as overlap). */
export const overlaps = (a: Interval, b: Interval) => a.lo <= b.hi && b.lo <= a.hi;

export type Ranked<T> = { item: T; rank: number; interval: Interval };

/**
 * Orders items by interval, best first. An item gets a better rank than another only when its
 * whole interval lies on the better side of the other's; items whose intervals overlap a
 * neighbour's share that rank. Ranks are dense (1, 1, 2, ...). Items with `standIn` never rank:
 * they are returned with rank 0 (Durable Functions on our test host is not the Functions host).
 */
export function rankByInterval<T>(
  items: Array<{ item: T; interval: Interval; standIn?: boolean }>,
  lowerIsBetter = true,
): Ranked<T>[] {
  const sign = lowerIsBetter ? 1 : -1;
  const rankable = items
    .filter((x) => !x.standIn)
    .sort((a, b) => sign * (a.interval.median - b.interval.median));
  const out: Ranked<T>[] = [];
  let rank = 0;
  // The group that is open: every member overlaps at least the group's best bound.
  let groupBound: number | undefined;
  for (const x of rankable) {
    const start = lowerIsBetter ? x.interval.lo : -x.interval.hi;
    if (groupBound === undefined || start > groupBound) {
      rank += 1;
      groupBound = lowerIsBetter ? x.interval.hi : -x.interval.lo;
    } else {
      groupBound = Math.max(groupBound, lowerIsBetter ? x.interval.hi : -x.interval.lo);
    }
    out.push({ item: x.item, rank, interval: x.interval });
  }
  for (const x of items.filter((i) => i.standIn)) out.push({ item: x.item, rank: 0, interval: x.interval });
  return out;
}

/** "a better", "b better" or "tie within noise", from the intervals alone. */
export function compareIntervals(a: Interval, b: Interval, lowerIsBetter = true): 'a' | 'b' | typeof TIE {
  if (overlaps(a, b)) return TIE;
  const aBetter = lowerIsBetter ? a.hi < b.lo : a.lo > b.hi;
  return aBetter ? 'a' : 'b';
}
