/**
 * The matrix sections of the engine-only benchmark and the saturation ramps, and the figures
 * they hand to the decision page. Pure: results in, markdown lines and SVG text out (matrix.ts
 * writes the files).
 */

import { PUBLISHED_ANCHORS } from './anchors';
import type { ClaimsExtras } from './claims/claims';
import type { StackExtras } from './decision/from-compare';
import { type Interval, widenInterval } from './decision/ranking';
import type { EngineBenchResult } from './engine-bench';
import { src, table } from './markdown';
import type { SaturationResult } from './saturation';
import { formatSummary, rankingSentence, type Summary, summarize, widenSummary } from './stats';
import { lineChart, type Point, xyChart } from './svg';

/** engineOnly as compare.ts writes it: the bench plus CPU per N = 10, L = 0 workflow. */
export type EngineOnlyJson = EngineBenchResult & {
  cpu?: { pages: number; activities: number; runs: number; errors: number; cpuMsPerWorkflow: Summary };
};
export type ExtrasResult = {
  stack: string;
  variantOf?: string;
  cpu?: { pages: number; cpuMsPerInvoice: Summary; cpuMsPerPage: Summary };
  engineOnly?: unknown;
  saturation?: unknown;
};
export type Chart = { name: string; svg: string };
type Labels = {
  label: (stack: string) => string;
  rankable: (r: ExtrasResult) => boolean;
  /**
   * The same stack in a second run, whose intervals widen the first's before any ranking;
   * null when a second run exists without this stack (then it is not ranked).
   */
  second?: (stack: string) => ExtrasResult | undefined | null;
};

const isFailed = (x: unknown): boolean => !x || typeof x !== 'object' || 'failed' in x;
export const engineOnlyOf = (r: ExtrasResult) =>
  isFailed(r.engineOnly) ? undefined : (r.engineOnly as EngineOnlyJson);
export const saturationOf = (r: ExtrasResult) =>
  isFailed(r.saturation) ? undefined : (r.saturation as SaturationResult);

/** Where the decision table's measured rows point: the matrix's own section and the JSON. */
export const EXTRA_EVIDENCE = {
  cpu: { label: 'CPU cost', href: '#cpu-and-memory-cost-per-invoice-real-flow' },
  engineOnly: { label: 'engine-only', href: '#engine-only-benchmark-synthetic-activities' },
  saturation: { label: 'saturation', href: '#saturation-throughput-real-flow' },
};
const evidence = (stack: string, part: keyof typeof EXTRA_EVIDENCE) => [
  EXTRA_EVIDENCE[part],
  { label: `${stack}.json \`${part}\``, href: `results/compare/${stack}.json` },
];

/** A step that finished nothing in its window has no latency (null in the JSON): "-". */
const ms = (x: number | null | undefined) => (x == null || Number.isNaN(x) ? '-' : x);
const p99 = (l: { p99: number | null; p99IsMax: boolean; n: number }) =>
  l.n ? `${ms(l.p99)}${l.p99IsMax ? ' (max)' : ''}` : '-';

const interval = (s: Summary): Interval => ({ median: s.median, lo: s.ci[0], hi: s.ci[1], n: s.n });

/** ms per activity of one engine-only cell as a Summary (median with its 95 % interval). */
export function msPerActivity(e: EngineOnlyJson, pages: number, latencyMs: number): Summary | undefined {
  const c = e.cells.find((x) => x.pages === pages && x.latencyMs === latencyMs);
  return c?.samples.length
    ? summarize(
        c.samples.map((s) => s.msPerActivity),
        2,
      )
    : undefined;
}

/**
 * A figure as a ranking may use it: widened by the second run's (stats.ts widenSummary), the
 * first run's alone when there is no second run (`undefined`), and nothing when a second run
 * exists without this stack (`null`): its order would rest on one run.
 */
export function confirmedBySecond<R>(
  r: R,
  second: R | undefined | null,
  value: (r: R) => Summary | undefined,
): Summary | undefined {
  if (second === null) return undefined;
  const first = value(r);
  return first && second ? widenSummary(first, value(second)) : first;
}

function ranking(
  results: ExtrasResult[],
  l: Labels,
  value: (r: ExtrasResult) => Summary | undefined,
  lowerIs: string,
) {
  const entries = results
    .filter(l.rankable)
    .map((r) => ({ name: l.label(r.stack), value: confirmedBySecond(r, l.second?.(r.stack), value) }))
    .filter((e): e is { name: string; value: Summary } => !!e.value && e.value.n > 0);
  return entries.length < 2 ? 'fewer than two rankable stacks measured' : rankingSentence(entries, lowerIs);
}

function anchorsFor(stacks: string[]): string[] {
  const anchors = PUBLISHED_ANCHORS.filter((a) => stacks.includes(a.engine));
  if (!anchors.length) return [];
  return [
    "Published figures to read these against (each vendor's own measurement on its own hardware and workload: an order of magnitude, not a number this machine should reproduce; [anchors.ts](../tools/src/kit/anchors.ts)):",
    '',
    ...anchors.map((a) => `- **${a.engine}**: ${a.figure}. ${a.conditions}. [source](${a.source})`),
    '',
  ];
}

/** "## Engine-only benchmark": ms per activity, workflow ms, CPU per workflow, its ramp. */
export function engineOnlySection(results: ExtrasResult[], l: Labels): { lines: string[]; charts: Chart[] } {
  const measured = results.flatMap((r) => {
    const e = engineOnlyOf(r);
    return e ? [{ r, e }] : [];
  });
  if (!measured.length) return { lines: [], charts: [] };
  const o = measured[0]!.e.options;
  const sat = o.saturation;
  const out: string[] = ['## Engine-only benchmark (synthetic activities)', ''];
  out.push(
    `Each stack's own orchestration file over the synthetic activity set (\`ACTIVITY_MODE=synthetic\`, shared/src/flow/synthetic.ts): no PDF is rendered and no LLM is called, each activity just waits L ms, so what is left is what the engine costs. One workflow at a time, N = ${o.pages.join(', ')} × L = ${o.latencies.join(', ')} ms, ${o.cellBudgetMs ? `up to ${o.runs} counted runs per cell after one warm-up run (fewer, as few as one, where the warm-up run shows that ${o.runs} would not fit in ${o.cellBudgetMs / 1000} s: n says how many)` : `${o.runs} counted runs per cell after one warm-up run`}, on a fresh instance started for this part with the same cap. **ms per activity** = (total − L) / (N + 2), median (min–max over the runs); **workflow ms** is client-side, POST until the 200; **CPU per workflow** is every process of the stack, the mock LLM excluded, over the counted runs.`,
    '',
  );
  const cells = [
    ...new Set(
      measured.flatMap(({ e }) => [...e.cells, ...(e.skipped ?? [])].map((c) => `${c.pages}:${c.latencyMs}`)),
    ),
  ];
  out.push(
    table(
      ['stack', 'N', 'L ms', 'ms per activity', 'workflow ms', 'CPU-ms per workflow', 'errors'],
      measured.flatMap(({ r, e }) =>
        cells.flatMap((key) => {
          const [N, L] = key.split(':').map(Number);
          const c = e.cells.find((x) => x.pages === N && x.latencyMs === L);
          const skipped = e.skipped?.find((x) => x.pages === N && x.latencyMs === L);
          if (skipped) return [[l.label(r.stack), N!, L!, `not run: ${skipped.why}`, '', '', '']];
          if (!c) return [];
          return [
            [
              l.label(r.stack),
              N!,
              L!,
              `${c.msPerActivity.median} (${c.msPerActivity.min}–${c.msPerActivity.max}) n=${c.msPerActivity.n}`,
              `${c.e2eMs.median} (${c.e2eMs.min}–${c.e2eMs.max})`,
              c.cpuMsPerWorkflow ?? '-',
              c.errors ? `⚠ ${c.errors}` : 0,
            ],
          ];
        }),
      ),
    ),
    '',
  );
  out.push(
    `- ms per activity at N = 100, L = 0: ${ranking(
      measured.map((m) => m.r),
      l,
      (r) => {
        const e = engineOnlyOf(r);
        return e && msPerActivity(e, 100, 0);
      },
      'cheaper per activity',
    )}.`,
  );
  const cpu = measured.filter(({ e }) => e.cpu?.cpuMsPerWorkflow?.n);
  if (cpu.length) {
    const c0 = cpu[0]!.e.cpu!;
    out.push(
      `- CPU per engine-only workflow (N = ${c0.pages}, L = 0, ${c0.activities} activities, ${c0.runs} sequential workflows, each its own sample): ${cpu.map(({ r, e }) => `${l.label(r.stack)} ${formatSummary(e.cpu!.cpuMsPerWorkflow)} CPU-ms (${Math.round((e.cpu!.cpuMsPerWorkflow.median / e.cpu!.activities) * 10) / 10} per activity)`).join('; ')}. ${ranking(
        cpu.map((m) => m.r),
        l,
        (r) => engineOnlyOf(r)?.cpu?.cpuMsPerWorkflow,
        'cheaper',
      )}.`,
    );
  }
  out.push('');
  const charts: Chart[] = [];
  for (const L of o.latencies) {
    const name = `engine-ms-per-activity-L${L}.svg`;
    charts.push({
      name,
      svg: lineChart({
        title: `Engine-only ms per activity vs N (L = ${L} ms), median and range`,
        xLabel: 'activities per fan-out (N, log scale)',
        yLabel: 'ms per activity',
        series: measured.map(({ r, e }) => ({
          name: l.label(r.stack),
          points: e.cells
            .filter((c) => c.latencyMs === L && c.samples.length)
            .map((c): Point => [c.pages, c.msPerActivity.median, c.msPerActivity.min, c.msPerActivity.max]),
        })),
      }),
    });
    out.push(`![engine-only ms per activity, L=${L}](charts/${name})`);
  }
  out.push('');
  const ramped = measured.filter(({ e }) => e.saturation?.steps.length);
  if (ramped.length && sat) {
    out.push(
      `**Engine-only saturation** (N = ${sat.pages}, L = 0; closed loop, clients ${sat.clients.join(', ')}, ${sat.warmupSeconds} s uncounted warm-up + ${sat.stepSeconds} s counted per step; sized down from the module's 30 s steps so \`pnpm compare\` fits its 75 minutes${sat.stopPastKnee ? '; a ramp stops after its first step past the knee, since more clients in a closed loop only queue more' : ''}). The knee is the highest throughput whose p99 stays under 2 × the one-client p99.`,
      '',
    );
    out.push(
      table(
        ['stack', 'clients', 'workflows/s', 'activities/s', 'p50 ms', 'p99 ms', 'errors', 'knee'],
        ramped.flatMap(({ r, e }) =>
          e
            .saturation!.steps.map((s) => [
              l.label(r.stack),
              s.clients,
              `${s.workflowsPerSec} (${s.perSecBuckets.min}–${s.perSecBuckets.max})`,
              s.activitiesPerSec,
              ms(s.latencyMs.p50),
              p99(s.latencyMs),
              s.errors,
              e.saturation!.knee?.clients === s.clients ? '◀ knee' : '',
            ])
            .concat(skippedRows(l.label(r.stack), e.saturation!.skipped, 8)),
        ),
      ),
      '',
    );
    charts.push({
      name: 'engine-saturation.svg',
      svg: xyChart({
        title: 'Engine-only saturation: workflows/s against p99 (labels: concurrent clients)',
        xLabel: 'workflows/s',
        yLabel: 'p99 latency (s)',
        series: ramped.map(({ r, e }) => ({
          name: l.label(r.stack),
          points: e.saturation!.steps.map(
            (s) => [s.workflowsPerSec, s.latencyMs.p99 / 1000] as [number, number],
          ),
          labels: e.saturation!.steps.map((s) => `${s.clients}`),
        })),
      }),
    });
    out.push('![engine-only saturation](charts/engine-saturation.svg)', '');
  }
  out.push(...anchorsFor(measured.map(({ r }) => r.variantOf ?? r.stack)));
  out.push(`Source: ${measured.map(({ r }) => src(r.stack, 'engineOnly')).join(', ')}`, '');
  return { lines: out, charts };
}

/** Rows for the steps a ramp did not run because it had passed its knee (saturation.ts stopPastKnee). */
function skippedRows(
  stack: string,
  skipped: number[] | undefined,
  columns: number,
): Array<Array<string | number>> {
  return (skipped ?? []).map((clients) => [
    stack,
    clients,
    'not run: the ramp stopped past the knee',
    ...Array.from({ length: columns - 3 }, () => ''),
  ]);
}

/** "## Saturation throughput (real flow)": invoices/s, pages/s, p50/p99 per step, the knee. */
export function saturationSection(
  results: ExtrasResult[],
  l: Labels,
  chart: (results: SaturationResult[]) => string,
): { lines: string[]; charts: Chart[] } {
  const measured = results.flatMap((r) => {
    const s = saturationOf(r);
    return s?.steps.length ? [{ r, s }] : [];
  });
  if (!measured.length) return { lines: [], charts: [] };
  const o = measured[0]!.s.options;
  const llm = o.llmLatency;
  const out: string[] = ['## Saturation throughput (real flow)', ''];
  out.push(
    `A closed-loop ramp of clients each posting the same ${o.pages}-page invoice (\`?wait=true\`, every answer checked against its golden invoice) under a realistic LLM: ${llm.kind === 'lognormal' ? `lognormal latency, median ${llm.medianMs} ms, σ ${llm.sigma}` : JSON.stringify(llm)}, at most C = ${o.llmConcurrency} calls in flight (a deployment's rate limit). Clients ${o.clients.join(', ')}, ${o.warmupSeconds} s uncounted warm-up + ${o.stepSeconds} s counted per step (sized down from the module's 30 s steps up to 64 clients so \`pnpm compare\` fits its 75 minutes: read a p99 as a maximum when marked${o.stopPastKnee ? '; a ramp stops after its first step past the knee, since more clients in a closed loop only queue more' : ''}). The knee is the highest throughput whose p99 stays under 2 × the one-client p99; the reference is the ceiling the mock's C allows.`,
    '',
  );
  out.push(
    table(
      [
        'stack',
        'clients',
        'invoices/s',
        'pages/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'LLM max in flight',
        'knee',
      ],
      measured.flatMap(({ r, s }) =>
        s.steps
          .map((x) => [
            l.label(r.stack),
            x.clients,
            `${x.invoicesPerSec} (${x.perSecBuckets.min}–${x.perSecBuckets.max})`,
            x.pagesPerSec,
            ms(x.latencyMs.p50),
            p99(x.latencyMs),
            x.errors,
            x.maxLlmInFlight ?? '-',
            s.knee?.clients === x.clients ? '◀ knee' : '',
          ])
          .concat(skippedRows(l.label(r.stack), s.skipped, 9)),
      ),
    ),
    '',
  );
  out.push(
    `- Knee: ${measured.map(({ r, s }) => `${l.label(r.stack)} ${s.knee ? `${s.knee.invoicesPerSec} invoices/s (${s.knee.pagesPerSec} pages/s) at ${s.knee.clients} clients, p99 ${s.knee.p99} ms` : 'none found'}`).join('; ')}. One ramp per stack: the per-second rate of each step's buckets is its spread, so no ranking is stated.`,
    '',
  );
  out.push('![saturation](charts/compare-saturation.svg)', '');
  out.push(
    "The published throughput figures ([anchors.ts](../tools/src/kit/anchors.ts)) are listed under the engine-only benchmark above: they measure short activities with no LLM and no PDF work, so they read against the engine-only ramp, not this one, whose ceiling is the mock LLM's C.",
    '',
  );
  out.push(`Source: ${measured.map(({ r }) => src(r.stack, 'saturation')).join(', ')}`, '');
  return {
    lines: out,
    charts: [
      {
        name: 'compare-saturation.svg',
        svg: chart(measured.map(({ r, s }) => ({ ...s, stack: l.label(r.stack) }))),
      },
    ],
  };
}

/**
 * "## CPU per page: real flow and engine-only" — the real flow's CPU-ms per invoice and page
 * next to the engine-only flow's per workflow and activity: what the engine itself costs.
 */
export function cpuComparisonLines(results: ExtrasResult[], l: Labels): string[] {
  const rows = results.filter((r) => r.cpu?.cpuMsPerInvoice?.n || engineOnlyOf(r)?.cpu?.cpuMsPerWorkflow?.n);
  if (!rows.some((r) => engineOnlyOf(r)?.cpu)) return [];
  const per = (s: Summary, k: number) => Math.round((s.median / k) * 10) / 10;
  return [
    '**CPU: real flow against engine-only flow** (median CPU-ms, every process of the stack except the mock LLM)',
    '',
    table(
      [
        'stack',
        'real: per invoice',
        'real: per page',
        'engine-only: per workflow',
        'engine-only: per activity',
      ],
      rows.map((r) => {
        const e = engineOnlyOf(r)?.cpu;
        return [
          l.label(r.stack),
          r.cpu ? formatSummary(r.cpu.cpuMsPerInvoice) : '-',
          r.cpu ? formatSummary(r.cpu.cpuMsPerPage) : '-',
          e ? `${formatSummary(e.cpuMsPerWorkflow)} (N = ${e.pages})` : '-',
          e ? per(e.cpuMsPerWorkflow, e.activities) : '-',
        ];
      }),
    ),
    '',
  ];
}

/** What the decision page takes from these parts: its extras per stack and Temporal's claims. */
export function decisionExtras(
  results: ExtrasResult[],
  second?: (stack: string) => ExtrasResult | undefined | null,
): {
  extras: Partial<Record<string, StackExtras>>;
  claimsExtras: Partial<Record<string, ClaimsExtras>>;
} {
  const own = measuredExtras(results);
  if (!second) return own;
  // A second run widens every interval the decision table ranks on (see stats.ts widenSummary).
  for (const [stack, x] of Object.entries(own.extras)) {
    const again = second(stack);
    const y = again && measuredExtras([again]).extras[stack];
    if (!x || !y) continue;
    for (const key of ['cpuMsPerInvoice', 'engineMsPerActivity', 'saturationKnee'] as const)
      if (x[key]) x[key] = { ...x[key]!, interval: widenInterval(x[key]!.interval, y[key]?.interval) };
  }
  return own;
}

function measuredExtras(results: ExtrasResult[]): {
  extras: Partial<Record<string, StackExtras>>;
  claimsExtras: Partial<Record<string, ClaimsExtras>>;
} {
  const extras: Partial<Record<string, StackExtras>> = {};
  const claimsExtras: Partial<Record<string, ClaimsExtras>> = {};
  for (const r of results) {
    const x: StackExtras = {};
    if (r.cpu?.cpuMsPerInvoice?.n)
      x.cpuMsPerInvoice = {
        interval: interval(r.cpu.cpuMsPerInvoice),
        unit: `CPU-ms per ${r.cpu.pages}-page invoice`,
        evidence: evidence(r.stack, 'cpu'),
      };
    const e = engineOnlyOf(r);
    const perActivity = e && msPerActivity(e, 100, 0);
    if (perActivity)
      x.engineMsPerActivity = {
        interval: interval(perActivity),
        unit: 'ms per activity (N = 100, L = 0)',
        evidence: evidence(r.stack, 'engineOnly'),
      };
    const knee = saturationOf(r)?.knee;
    const kneeStep = knee && saturationOf(r)!.steps.find((s) => s.clients === knee.clients);
    if (knee && kneeStep)
      // The step's own per-bucket rates are the spread of its throughput.
      x.saturationKnee = {
        interval: {
          median: knee.invoicesPerSec,
          lo: kneeStep.perSecBuckets.min,
          hi: kneeStep.perSecBuckets.max,
          n: kneeStep.perSecBuckets.n,
        },
        unit: `invoices/s at ${knee.clients} clients`,
        evidence: evidence(r.stack, 'saturation'),
      };
    if (r.stack !== 'reference')
      // What the shared conformance suite checks on every stack (issue 16); the measured table is its own section.
      x.productionBehaviours = {
        value:
          'idempotent upload, cancel, approval with a durable timeout, invoice deadline and a second worker, each on the engine’s own mechanism',
        evidence: [
          { label: 'measured', href: '#production-behaviours-issue-16' },
          { label: 'production.ts', href: '../shared/src/testing/production.ts' },
          { label: `${r.stack} SPEC`, href: `../${r.stack}/SPEC.md` },
        ],
      };
    if (Object.keys(x).length) extras[r.stack] = x;
    if (r.stack === 'temporal') {
      const c: ClaimsExtras = {};
      const sat = e?.saturation;
      // The claims table reads these "at the knee"; without one, the best step.
      const best =
        sat?.steps.find((s) => s.clients === sat.knee?.clients) ??
        sat?.steps.reduce((a, b) => (b.workflowsPerSec > a.workflowsPerSec ? b : a), sat.steps[0]!);
      if (best) {
        const k = e!.saturation!.pages + 2;
        c.workflowsPerSec = {
          median: best.workflowsPerSec,
          lo: best.perSecBuckets.min,
          hi: best.perSecBuckets.max,
          n: best.perSecBuckets.n,
        };
        c.activitiesPerSec = {
          median: best.activitiesPerSec,
          lo: Math.round(best.perSecBuckets.min * k * 100) / 100,
          hi: Math.round(best.perSecBuckets.max * k * 100) / 100,
          n: best.perSecBuckets.n,
        };
      }
      const simple = e?.cells.find((c1) => c1.pages === 1 && c1.latencyMs === 0);
      if (simple?.samples.length)
        c.simpleWorkflowMs = interval(summarize(simple.samples.map((s) => s.totalMs)));
      if (x.cpuMsPerInvoice) c.cpuMsPerInvoice = x.cpuMsPerInvoice.interval;
      if (Object.keys(c).length) claimsExtras.temporal = c;
    }
  }
  return { extras, claimsExtras };
}
