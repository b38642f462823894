import type { Timings } from '@invoice/shared/flow/types';
import { invoiceOf, type Target, timeInvoice } from '../bench/e2e';
import { mockLlm } from '../mock-llm/remote';
import { runsWithin } from './closed-loop';
import { formatSummary, median, pairedRatios, type Summary, summarize } from './stats';

/** One cell of the sweep: N pages at mock-LLM latency L, k interleaved runs. */
export type CellPlan = { pages: number; latencyMs: number; runs: number };

export type SweepOptions = {
  pages: number[];
  latencies: number[];
  /** runs per cell */
  runs: number;
  /** cells that get `headlineRuns` instead (the ones the matrix ranks on) */
  headline?: Array<{ pages: number; latencyMs: number }>;
  headlineRuns?: number;
  /** fewer runs from this many pages on (big cells cost the most and rank the least) */
  bigPages?: number;
  bigRuns?: number;
  /** the latencies big cells run at (all when absent) */
  bigLatencies?: number[];
  warmupEveryCell?: boolean;
  /** a cell's time budget: fewer runs (not below 3) when the first pair shows `runs` would not fit */
  cellBudgetMs?: number;
  /** called before each cell, for progress lines */
  onCell?: (cell: CellPlan, index: number, total: number) => void;
};

/** The cells a sweep runs, in order, with their run counts. Pure, so `compare` can plan its ETA. */
export function planCells(o: Omit<SweepOptions, 'onCell'>): CellPlan[] {
  const cells: CellPlan[] = [];
  for (const latencyMs of o.latencies)
    for (const pages of o.pages) {
      const big = o.bigPages !== undefined && pages >= o.bigPages;
      if (big && o.bigLatencies && !o.bigLatencies.includes(latencyMs)) continue;
      const headline = o.headline?.some((h) => h.pages === pages && h.latencyMs === latencyMs);
      const runs = headline
        ? (o.headlineRuns ?? o.runs)
        : o.bigPages !== undefined && pages >= o.bigPages
          ? (o.bigRuns ?? o.runs)
          : o.runs;
      cells.push({ pages, latencyMs, runs });
    }
  return cells;
}

/** What one invoice through one target gave: client-side time, the stack's own spans, the mock's view. */
export type RunSample = {
  ok: boolean;
  e2eMs: number;
  timings?: Timings;
  /** mean time the mock LLM took to serve one call in this run */
  llmCallMs: number;
  maxInFlight: number;
};

/** The fan-out if nothing but the LLM took time: ceil(N / C) waves of one call each (C = 0: no cap). */
export function idealFanoutMs(pages: number, llmCap: number, callMs: number): number {
  return Math.ceil(pages / (llmCap > 0 ? llmCap : pages)) * callMs;
}

/**
 * Fan-out dispatch overhead of one run, from its own spans: the extract step's wall time minus
 * the ideal fan-out under the mock's cap, using the mock's measured per-call time. PDF rendering
 * is not in it, so rendering jitter cancels out.
 */
export function dispatchOverheadMs(run: RunSample, pages: number, llmCap: number): number | undefined {
  if (!run.ok || !run.timings) return undefined;
  return run.timings.extractMs - idealFanoutMs(pages, llmCap, run.llmCallMs);
}

async function oneRun(target: Target, pages: number): Promise<RunSample> {
  await mockLlm.reset(target.llmUrl);
  const run = await timeInvoice(target.apiUrl, pages);
  const metrics = await mockLlm.metrics(target.llmUrl);
  return {
    ok: run.ok,
    e2eMs: Math.round(run.ms * 10) / 10,
    timings: run.body.timings,
    llmCallMs: metrics.callMs?.mean ?? 0,
    maxInFlight: metrics.maxInFlight,
  };
}

/** The summaries of one target's runs in one cell. */
export function summarizeRuns(runs: RunSample[], pages: number, llmCap = 0) {
  const good = runs.filter((r) => r.ok);
  const timed = good.filter((r) => r.timings);
  const of = (pick: (t: Timings) => number | undefined) =>
    summarize(timed.map((r) => pick(r.timings!)).filter((v): v is number => v !== undefined));
  return {
    e2e: summarize(good.map((r) => r.e2eMs)),
    errors: runs.length - good.length,
    maxInFlight: Math.max(0, ...runs.map((r) => r.maxInFlight)),
    dispatchOverhead: summarize(
      good.map((r) => dispatchOverheadMs(r, pages, llmCap)).filter((v): v is number => v !== undefined),
    ),
    orchestration: of((t) => t.orchestrationMs),
    gaps: {
      queue: of((t) => t.queueMs),
      dispatch: of((t) => t.dispatchGapMs),
      collect: of((t) => t.collectGapMs),
    },
    split: of((t) => t.splitMs),
    extractWall: of((t) => t.extractMs),
    llmCallMs: median(good.map((r) => r.llmCallMs)),
  };
}

export type CellSummary = ReturnType<typeof summarizeRuns>;

export type SweepRow = {
  pages: number;
  latencyMs: number;
  runs: number;
  measured: CellSummary;
  ideal: CellSummary;
  /** stack run i / ideal run i, over the interleaved pairs */
  ratio: Summary;
  /** median(measured) − median(ideal), in total and per page */
  overheadMs: number;
  overheadPerPageMs: number;
};

const round = (n: number) => Math.round(n * 10) / 10;

/** A row from the raw runs of both targets; pure, so tests can feed it known samples. */
export function toRow(cell: CellPlan, measured: RunSample[], ideal: RunSample[], llmCap = 0): SweepRow {
  const m = summarizeRuns(measured, cell.pages, llmCap);
  const i = summarizeRuns(ideal, cell.pages, llmCap);
  const okPairs = measured.map((r, k) => [r, ideal[k]] as const).filter(([a, b]) => a.ok && b?.ok) as Array<
    readonly [RunSample, RunSample]
  >;
  const overheadMs = round(m.e2e.median - i.e2e.median);
  return {
    pages: cell.pages,
    latencyMs: cell.latencyMs,
    runs: cell.runs,
    measured: m,
    ideal: i,
    ratio: summarize(
      pairedRatios(
        okPairs.map(([a]) => a.e2eMs),
        okPairs.map(([, b]) => b.e2eMs),
      ),
      3,
    ),
    overheadMs,
    overheadPerPageMs: round(overheadMs / cell.pages),
  };
}

/**
 * The fan-out sweep. In every cell the stack's runs and the reference pipeline's runs are
 * interleaved (stack, ideal, stack, ideal, …), each target on its own mock LLM with the same
 * settings, so that drift on the machine hits both alike. The raw runs are kept.
 */
export async function sweep(target: Target, reference: Target, options: SweepOptions) {
  // Generating a large invoice blocks the event loop long enough to break idle keep-alive
  // connections, so every invoice is made before the first request.
  for (const pages of options.pages) await invoiceOf(pages);
  const plan = planCells(options);
  const same = target.name === reference.name;
  const targets = same ? [target] : [target, reference];
  const rows: SweepRow[] = [];
  const raw: Array<{ pages: number; latencyMs: number; measured: RunSample[]; ideal: RunSample[] }> = [];
  for (const [index, cell] of plan.entries()) {
    options.onCell?.(cell, index, plan.length);
    for (const t of targets) {
      await mockLlm.neutral(t.llmUrl);
      await mockLlm.configure(t.llmUrl, { latency: { kind: 'fixed', ms: cell.latencyMs } });
      // First-run costs (JIT, connections, caches) are not fan-out: one warm-up per target.
      if (index === 0 || options.warmupEveryCell) await timeInvoice(t.apiUrl, cell.pages);
    }
    const measured: RunSample[] = [];
    const ideal: RunSample[] = [];
    let runs = cell.runs;
    for (let k = 0; k < runs; k++) {
      const began = performance.now();
      measured.push(await oneRun(target, cell.pages));
      ideal.push(same ? measured[k]! : await oneRun(reference, cell.pages));
      // The first pair sizes the cell: a slow stack gets fewer runs (n says so), not an hour.
      if (k === 0 && options.cellBudgetMs)
        runs = runsWithin(performance.now() - began, {
          budgetMs: options.cellBudgetMs,
          min: Math.min(3, cell.runs),
          max: cell.runs,
        });
    }
    raw.push({ pages: cell.pages, latencyMs: cell.latencyMs, measured, ideal });
    rows.push(toRow({ ...cell, runs }, measured, ideal));
  }
  return { rows, raw };
}

/** Rough seconds a cell takes (both targets), for the ETA before anything was measured. */
export function estimateCellSeconds(
  cell: CellPlan,
  sameTarget = false,
  extraPerRunS = 0,
  cellBudgetMs?: number,
): number {
  const one = 0.15 + 0.03 * cell.pages + cell.latencyMs / 1000;
  const pair = one + extraPerRunS + (sameTarget ? 0 : one);
  const runs = cellBudgetMs
    ? runsWithin(pair * 1000, { budgetMs: cellBudgetMs, min: Math.min(3, cell.runs), max: cell.runs })
    : cell.runs;
  return runs * pair + one * 2 + extraPerRunS;
}

/** A row as one flat line for a printed table. */
export function printableRow(row: SweepRow) {
  return {
    N: row.pages,
    'L ms': row.latencyMs,
    'end-to-end ms': formatSummary(row.measured.e2e),
    'ideal ms': formatSummary(row.ideal.e2e),
    ratio: formatSummary(row.ratio),
    'dispatch overhead ms': formatSummary(row.measured.dispatchOverhead),
    'gaps ms q/d/c': `${row.measured.gaps.queue.median}/${row.measured.gaps.dispatch.median}/${row.measured.gaps.collect.median}`,
    errors: row.measured.errors,
  };
}
