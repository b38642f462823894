import {
  SYNTHETIC_INVOICE_NUMBER,
  type SyntheticSpec,
  syntheticSpecPdf,
} from '@invoice/shared/flow/synthetic';
import type { Timings } from '@invoice/shared/flow/types';
import { postAndWait, type Target } from '../bench/e2e';
import type { StackHandle } from '../launcher/launcher';
import { type Clock, runsWithin, type Spread, spread } from './closed-loop';
import { stackCpuMs } from './cpu';
import { type RampOptions, runRamp } from './saturation';

/**
 * The engine-only benchmark: the stack's own orchestration file over the synthetic activity set
 * (shared/src/flow/synthetic.ts; the stack runs with ACTIVITY_MODE=synthetic), so no PDF is
 * rendered and no LLM is called. What is left is what the engine costs per workflow and per
 * activity.
 */

/** Activities one workflow of N pages runs: split, N extracts, aggregate. */
export const activitiesPerWorkflow = (pages: number) => pages + 2;

/** POSTs one synthetic run with ?wait=true; ok only if the synthetic set answered with N pages. */
export async function runSynthetic(apiUrl: string, pdf: Uint8Array, spec: SyntheticSpec) {
  const { ms, body, status } = await postAndWait(apiUrl, pdf);
  const ok =
    status === 200 &&
    body.invoice?.invoiceNumber === SYNTHETIC_INVOICE_NUMBER &&
    body.invoice.pageCount === spec.pages;
  return { ms, ok, body, status };
}

export type RunFigures = {
  /** client-side: POST ?wait=true until the 200 */
  e2eMs: number;
  /** inside the stack: accepted to aggregate finished */
  totalMs: number;
  /** the fan-out's wall time beyond one extract's own L, per extract */
  fanoutMsPerExtract: number;
  /** (total − L) / (N + 2): what each activity cost the workflow, L taken out once */
  msPerActivity: number;
  orchestrationMs: number;
};

/**
 * One run's figures from its own timings. The L taken out is one activity's worth: a stack
 * with fewer activity slots than N runs the fan-out in waves, and that shows here.
 */
export function runFigures(spec: SyntheticSpec, e2eMs: number, t: Timings): RunFigures {
  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    e2eMs: r(e2eMs),
    totalMs: t.totalMs,
    fanoutMsPerExtract: r((t.extractMs - spec.latencyMs) / spec.pages),
    msPerActivity: r((t.totalMs - spec.latencyMs) / activitiesPerWorkflow(spec.pages)),
    orchestrationMs: t.orchestrationMs,
  };
}

export type EngineCell = SyntheticSpec & {
  runs: number;
  errors: number;
  e2eMs: Spread;
  totalMs: Spread;
  msPerActivity: Spread;
  fanoutMsPerExtract: Spread;
  orchestrationMs: Spread;
  /** CPU of the stack's processes (mock LLM excluded) over the counted runs, per workflow */
  cpuMsPerWorkflow?: number;
  samples: RunFigures[];
};

/**
 * k synthetic runs of one (N, L), one after another, after one warm-up run. With a `budgetMs`,
 * k shrinks (to as few as one: n says so) when the warm-up shows that k runs would not fit in it.
 */
export async function measureEngineCell(
  target: Target & { handle?: StackHandle },
  spec: SyntheticSpec,
  maxRuns: number,
  budgetMs?: number,
): Promise<EngineCell> {
  const pdf = await syntheticSpecPdf(spec);
  // First-run costs are not the engine's steady state; its time sizes the cell.
  const warmup = await runSynthetic(target.apiUrl, pdf, spec);
  const runs = budgetMs === undefined ? maxRuns : runsWithin(warmup.ms, { budgetMs, min: 1, max: maxRuns });
  const cpuBefore = target.handle ? await stackCpuMs(target.handle) : undefined;
  const samples: RunFigures[] = [];
  let errors = 0;
  for (let i = 0; i < runs; i++) {
    const run = await runSynthetic(target.apiUrl, pdf, spec);
    if (!run.ok || !run.body.timings) errors++;
    else samples.push(runFigures(spec, run.ms, run.body.timings));
  }
  const cpuAfter = target.handle ? await stackCpuMs(target.handle) : undefined;
  const of = (k: keyof RunFigures) => spread(samples.map((s) => s[k]));
  return {
    ...spec,
    runs,
    errors,
    e2eMs: of('e2eMs'),
    totalMs: of('totalMs'),
    msPerActivity: of('msPerActivity'),
    fanoutMsPerExtract: of('fanoutMsPerExtract'),
    orchestrationMs: of('orchestrationMs'),
    ...(cpuBefore !== undefined &&
      cpuAfter !== undefined && { cpuMsPerWorkflow: Math.round((cpuAfter - cpuBefore) / runs) }),
    samples,
  };
}

/**
 * One run's wall time at `spec`, extrapolated linearly in N from the two largest cells already
 * measured at the same L; undefined with fewer than two.
 */
export function predictRunMs(
  cells: ReadonlyArray<Pick<EngineCell, 'pages' | 'latencyMs' | 'e2eMs'>>,
  spec: SyntheticSpec,
): number | undefined {
  const same = cells
    .filter((c) => c.latencyMs === spec.latencyMs && c.pages < spec.pages && Number.isFinite(c.e2eMs.median))
    .sort((a, b) => a.pages - b.pages)
    .slice(-2);
  if (same.length < 2) return undefined;
  const [a, b] = same as [(typeof same)[0], (typeof same)[0]];
  const slope = Math.max(0, (b.e2eMs.median - a.e2eMs.median) / (b.pages - a.pages));
  return b.e2eMs.median + slope * (spec.pages - b.pages);
}

export type EngineBenchOptions = {
  pages: number[];
  latencies: number[];
  runs: number;
  /** a cell's time budget: fewer runs (as few as one) when `runs` of them would not fit */
  cellBudgetMs?: number;
  /** the saturation part: concurrent workflows of `saturationPages` pages at L = 0 */
  saturation?: RampOptions & { pages: number };
};

export const DEFAULT_ENGINE_BENCH: EngineBenchOptions = {
  pages: [1, 10, 100, 1000],
  latencies: [0, 100],
  runs: 5,
  saturation: { clients: [1, 2, 4, 8, 16, 32, 64], stepSeconds: 30, warmupSeconds: 5, pages: 10 },
};

/** The whole engine-only benchmark against a stack started with ACTIVITY_MODE=synthetic. */
export async function runEngineBench(
  target: Target & { handle?: StackHandle },
  options: EngineBenchOptions,
  clock?: Clock,
) {
  const cells: EngineCell[] = [];
  const skipped: Array<{ pages: number; latencyMs: number; why: string }> = [];
  const total = options.pages.length * options.latencies.length;
  for (const latencyMs of options.latencies) {
    for (const pages of options.pages) {
      const predicted = options.cellBudgetMs && predictRunMs(cells, { pages, latencyMs });
      if (predicted && options.cellBudgetMs && predicted > 2 * options.cellBudgetMs) {
        const why = `one run predicted at ${Math.round(predicted / 1000)} s from the smaller N, over twice the cell budget of ${options.cellBudgetMs / 1000} s`;
        console.error(`[engine-bench] ${target.name}: N=${pages} L=${latencyMs} ms skipped: ${why}`);
        skipped.push({ pages, latencyMs, why });
        continue;
      }
      console.error(
        `[engine-bench] ${target.name} ${cells.length + 1}/${total}: N=${pages} L=${latencyMs} ms, ${options.runs} runs`,
      );
      const cell = await measureEngineCell(target, { pages, latencyMs }, options.runs, options.cellBudgetMs);
      console.error(
        `[engine-bench]   ${cell.runs} runs: ${cell.msPerActivity.median} ms/activity (${cell.msPerActivity.min}–${cell.msPerActivity.max}), workflow ${cell.e2eMs.median} ms, ${cell.errors} errors`,
      );
      cells.push(cell);
    }
  }
  let saturation: Awaited<ReturnType<typeof runRamp>> | undefined;
  if (options.saturation) {
    const spec = { pages: options.saturation.pages, latencyMs: 0 };
    const pdf = await syntheticSpecPdf(spec);
    saturation = await runRamp({
      label: `engine-bench ${target.name} saturation`,
      ramp: options.saturation,
      unitsPerRequest: activitiesPerWorkflow(spec.pages),
      clock,
      request: async () => {
        const run = await runSynthetic(target.apiUrl, pdf, spec);
        return run.ok ? { ok: true } : { ok: false, error: `http_${run.status}` };
      },
    });
  }
  return {
    stack: target.name,
    options,
    cells,
    skipped,
    saturation: saturation && {
      pages: options.saturation!.pages,
      steps: saturation.steps.map(({ perSec, unitsPerSec, ...rest }) => ({
        ...rest,
        workflowsPerSec: perSec,
        activitiesPerSec: unitsPerSec,
      })),
      skipped: saturation.skipped,
      knee: saturation.knee && {
        clients: saturation.knee.clients,
        workflowsPerSec: saturation.knee.perSec,
        activitiesPerSec: saturation.knee.unitsPerSec,
        p99: saturation.knee.p99,
        unloadedP99: saturation.knee.unloadedP99,
        p99Limit: saturation.knee.p99Limit,
      },
    },
  };
}
export type EngineBenchResult = Awaited<ReturnType<typeof runEngineBench>>;
