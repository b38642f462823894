import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../launcher/registry';
import {
  CAP_KNOBS,
  DURABILITY,
  type Durability,
  isStandIn,
  MAX_ACTIVITIES_IN_FLIGHT,
  STAND_INS,
} from './bench-settings';
import type { KillReport } from './chaos';
import type { InvoiceCounts } from './cost/units';
import { decisionPage } from './decision/page';
import type { SweepRow } from './fanout';
import { src, table } from './markdown';
import {
  type Chart,
  confirmedBySecond,
  cpuComparisonLines,
  decisionExtras,
  engineOnlyOf,
  engineOnlySection,
  msPerActivity,
  saturationSection,
} from './matrix-extras';
import { ENGINE_LIMITS, type ProductionFile, productionSection } from './matrix-production';
import { RESULTS_DIR } from './results';
import { saturationChart } from './saturation';
import { formatSummary, MIN_SAMPLES_FOR_P95, rankingSentence, type Summary } from './stats';
import { barChart, lineChart, type Point } from './svg';

type ChaosBatch = {
  invoices: number;
  correct: number;
  incorrect: number;
  failed: number;
  lost: number;
  duplicateActivityRuns: number;
  injected: Record<string, number>;
  wallMs?: number;
};

export type StackResult = {
  stack: string;
  variantOf?: string;
  variantSettings?: Record<string, string>;
  date: string;
  command?: string;
  failed?: string;
  description?: string;
  standIn?: string;
  durability?: Durability;
  cap?: { maxActivitiesInFlight: number; knob?: string };
  processes?: Array<{ name: string; kind?: string; killable: boolean }>;
  resources?: {
    idle: { processes: number; rssMiB: number };
    underLoad?: { processes: number; rssMiB: number };
  };
  cpu?: {
    pages: number;
    runs: number;
    errors: number;
    cpuMsPerInvoice: Summary;
    cpuMsPerPage: Summary;
    peakRssMiB: number;
  };
  load?: {
    correct: number;
    errorCount: number;
    errors: Record<string, number>;
    invoicesPerSec: number;
    pagesPerSec: number;
    wallMs?: number;
    requests?: number;
    latencyMs: { p50: number; p90: number; p99: number; mean: number; max?: number };
    llm?: { maxInFlight: number; duplicateSuccesses: number };
    options: { connections: number; amount?: number; sample: string };
  };
  fanout?: { rows: SweepRow[] };
  state?: Array<{ pages: number; ok: boolean; bytes?: number; events?: number; what?: string }>;
  /** settingsNote: settings chaos ran with that differ from the defaults (e.g. a shortened host.json) */
  chaos?: { kills: KillReport[]; concurrent?: ChaosBatch; hangs?: ChaosBatch; settingsNote?: string };
  /** one 10-page invoice's billing units (cost/counters.ts), or why it could not be counted */
  billing?: InvoiceCounts | { stack: string; pages: number; failed: string };
  loc?: { orchestrationFile?: string; orchestrationLines: number; codeLines: number; testLines: number };
  /** filled by the engine-only benchmark and the saturation ramp (rendered by EXTRA_SECTIONS) */
  engineOnly?: unknown;
  saturation?: unknown;
};

const ORDER = [
  'reference',
  'custom-engine',
  'custom-engine-sync-full',
  'temporal',
  'dapr',
  'azure-durable-functions',
  'prefect',
];
const LABEL: Record<string, string> = {
  reference: 'reference (no orchestrator)',
  'custom-engine': 'custom engine',
  'custom-engine-sync-full': 'custom engine, synchronous=FULL',
  temporal: 'Temporal',
  dapr: 'Dapr Workflow‡',
  'azure-durable-functions': 'Durable Functions† (stand-in)',
  prefect: 'Prefect',
};
export const label = (s: string) => LABEL[s] ?? s;

const cell = formatSummary;

/** Percentiles only from enough requests; a dozen requests give a median and a maximum. */
function loadLatency(load: NonNullable<StackResult['load']>): string {
  const n = load.requests ?? load.correct + load.errorCount;
  const l = load.latencyMs;
  return n >= MIN_SAMPLES_FOR_P95
    ? `p50 ${l.p50}, p90 ${l.p90}, p99 ${l.p99} (n=${n})`
    : `median ${l.p50}, max ${l.max ?? l.p99} (n=${n})`;
}

/** Stacks that may appear in a ranking: real engines measured on the real product, not the reference. */
export const rankable = (r: Pick<StackResult, 'stack' | 'variantOf'>) =>
  r.stack !== 'reference' && !isStandIn(r.variantOf ?? r.stack);

/** One ranking line over the rankable stacks, or a note that there is nothing to rank. */
export function ranking(
  results: StackResult[],
  value: (r: StackResult) => Summary | undefined,
  lowerIs: string,
): string {
  const entries = results
    .filter(rankable)
    .map((r) => ({ name: label(r.stack), value: confirmedBySecond(r, labels.second(r.stack), value) }))
    .filter((e): e is { name: string; value: Summary } => !!e.value && e.value.n > 0);
  if (entries.length < 2) return 'fewer than two rankable stacks measured';
  return rankingSentence(entries, lowerIs);
}

/** The second run (`pnpm compare --rerun`), by stack id; empty when there is none. */
let secondRun = new Map<string, StackResult>();

/** The directory a second `pnpm compare --rerun` writes, read beside docs/results/compare/. */
export const RERUN_DIR = 'compare-rerun';

/** "## Second run, side by side": the figures the matrix ranks on, from both runs. */
function secondRunSection(ok: StackResult[]): string[] {
  const figures: Array<[string, (r: StackResult) => Summary | undefined]> = [
    ['ratio to ideal, N = 50, L = 500', (r) => rowAt(r, 50, 500)?.ratio],
    ['dispatch overhead ms, N = 50, L = 500', (r) => rowAt(r, 50, 500)?.measured.dispatchOverhead],
    ['ratio to ideal, N = 10, L = 500', (r) => rowAt(r, 10, 500)?.ratio],
    ['CPU-ms per invoice', (r) => r.cpu?.cpuMsPerInvoice],
    [
      'engine-only ms per activity, N = 100, L = 0',
      (r) => {
        const e = engineOnlyOf(r);
        return e && msPerActivity(e, 100, 0);
      },
    ],
    ['engine-only CPU-ms per workflow', (r) => engineOnlyOf(r)?.cpu?.cpuMsPerWorkflow],
  ];
  const rows = ok.flatMap((r) => {
    const again = secondRun.get(r.stack);
    if (!again) return [];
    return figures.flatMap(([name, value]) => {
      const a = value(r);
      const b = value(again);
      if (!a?.n && !b?.n) return [];
      return [[label(r.stack), name, formatSummary(a), formatSummary(b)]];
    });
  });
  return [
    '## Second run, side by side',
    '',
    'The figures the rankings above rest on, from the first run (the tables) and the second (`docs/results/compare-rerun/`). A ranking is stated only where the two runs’ intervals, taken together, are apart.',
    '',
    table(['stack', 'figure', 'first run', 'second run'], rows),
    '',
  ];
}

async function loadResults(sub = 'compare') {
  const dir = join(RESULTS_DIR, sub);
  const files = (await readdir(dir).catch(() => [])).filter(
    (f) => f.endsWith('.json') && !['run.json', 'kit-overhead.json'].includes(f),
  );
  const results = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as StackResult),
  );
  results.sort((a, b) => ((ORDER.indexOf(a.stack) + 99) % 99) - ((ORDER.indexOf(b.stack) + 99) % 99));
  const read = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8').catch(() => '{}'));
  return { results, run: await read('run.json'), kit: await read('kit-overhead.json') };
}

/** When the flow every stack runs last changed what it costs (issue 16: a deadline timer per run). */
const FLOW_CHANGED_AT = '2026-12-02T03:10:00Z';

/** docs/results/production/*.json (pnpm production), in the matrix's stack order. */
async function loadProduction(): Promise<ProductionFile[]> {
  const dir = join(RESULTS_DIR, 'production');
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json'));
  const all = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as ProductionFile),
  );
  return all.sort((a, b) => ((ORDER.indexOf(a.stack) + 99) % 99) - ((ORDER.indexOf(b.stack) + 99) % 99));
}

/**
 * Sections the engine-only benchmark and the saturation ramp add: each gets the results and
 * the charts folder and returns markdown lines (empty when its data is absent).
 */
export type ExtraSection = (results: StackResult[], charts: string) => Promise<string[]>;
const labels = {
  label: (s: string) => label(s),
  rankable,
  // null: there is a second run, and it did not measure this stack (so it is not ranked)
  second: (stack: string) => (secondRun.size ? (secondRun.get(stack) ?? null) : undefined),
};
const withCharts =
  (section: (results: StackResult[]) => { lines: string[]; charts: Chart[] }): ExtraSection =>
  async (results, charts) => {
    const { lines, charts: svgs } = section(results);
    for (const c of svgs) await writeFile(join(charts, c.name), c.svg);
    return lines;
  };
export const EXTRA_SECTIONS: ExtraSection[] = [
  withCharts((results) => engineOnlySection(results, labels)),
  withCharts((results) => saturationSection(results, labels, saturationChart)),
];

/** The current-format row at (N, L); rows written before the interleaved sweep count as absent. */
const rowAt = (r: StackResult, N: number, L: number): SweepRow | undefined =>
  r.fanout?.rows?.find((x) => x.pages === N && x.latencyMs === L && isCurrentRow(x));
/** A row written before the interleaved sweep (no summaries): skipped rather than misread. */
const isCurrentRow = (x: SweepRow | undefined): x is SweepRow => !!x && !!x.measured?.e2e;
const pt = (x: number, s: Summary): Point => [x, s.median, s.ci[0], s.ci[1]];

/** Regenerates docs/comparison-matrix.md and its SVG charts from docs/results/compare/*.json. */
export async function writeMatrix(): Promise<string> {
  const { results, run, kit } = await loadResults();
  const rerun = await loadResults(RERUN_DIR);
  secondRun = new Map(rerun.results.filter((r) => !r.failed).map((r) => [r.stack, r]));
  const ok = results.filter((r) => !r.failed);
  const unconfirmed = secondRun.size
    ? ok.filter((r) => rankable(r) && !secondRun.has(r.stack)).map((r) => r.stack)
    : [];
  const out: string[] = [];
  const charts = join(REPO_ROOT, 'docs/charts');
  await mkdir(charts, { recursive: true });
  const withRows = ok.filter((r) => r.fanout?.rows.some(isCurrentRow));
  const cap = run.cap ?? ok.find((r) => r.cap)?.cap?.maxActivitiesInFlight ?? MAX_ACTIVITIES_IN_FLIGHT;

  out.push('# Comparison matrix: one invoice flow on five orchestrators', '');
  out.push(
    '<!-- generated by `pnpm compare`; edit tools/src/kit/matrix.ts or tools/src/kit/matrix-sections.md instead -->',
    '',
  );
  out.push(
    `- **Measured**: ${run.date ?? 'not yet'} on ${run.machine ? `${run.machine.cpus} × ${run.machine.model}, ${run.machine.memGiB} GiB, Node ${run.machine.node}` : '?'}${run.wallSeconds ? `, ${Math.round(run.wallSeconds / 60)} min` : ''}${run.quick ? ' (**`--quick`**: fewer runs, wider intervals)' : ''}`,
  );
  const commands = new Map<string, string[]>();
  for (const r of results)
    commands.set(r.command ?? '?', [...(commands.get(r.command ?? '?') ?? []), r.stack]);
  out.push(
    `- **Commands**: ${[...commands].map(([command, stacks]) => `\`${command}\` (${stacks.map(label).join(', ')}, ${results.find((r) => r.stack === stacks[0])?.date ?? ''})`).join('; ')}`,
  );
  out.push(
    `- **Same cap everywhere**: every stack ran every benchmark with at most **${cap} activities in flight** (${Object.entries(
      CAP_KNOBS,
    )
      .map(([s, knob]) => `${label(s)}: ${knob}`)
      .join(
        '; ',
      )}). Set in [bench-settings.ts](../tools/src/kit/bench-settings.ts), \`pnpm compare --cap N\`.`,
  );
  out.push(
    `- **How to read a cell**: \`median [95 % CI] n=k\`. The interval is the distribution-free order-statistic interval of the median (with n = 10 it spans the 2nd to the 9th of the sorted runs). With fewer than ${MIN_SAMPLES_FOR_P95} runs no p95 is shown: the CI and n say how far a median can be trusted. A ranking ("faster", "cheaper") is stated only where two intervals do not overlap; every other pair is a **tie within noise**.`,
  );
  out.push(
    '- **Every number** below comes from the JSON file named under its table, in `docs/results/compare/`.',
  );
  out.push(
    secondRun.size
      ? `- **Reproduced by a second run**: \`${rerun.run.command ?? 'pnpm compare --rerun'}\` (${rerun.run.date ?? '?'}${rerun.run.wallSeconds ? `, ${Math.round(rerun.run.wallSeconds / 60)} min` : ''}; JSON in \`docs/results/${RERUN_DIR}/\`). The tables show the first run; a ranking is stated only where the intervals of **both** runs, taken together, do not overlap, so every ranking below holds in each run. The headline figures of both runs are [side by side](#second-run-side-by-side).${unconfirmed.length ? ` Not in the second run, so not ranked: ${unconfirmed.map(label).join(', ')}.` : ''}`
      : `- **Not reproduced yet**: no second run in \`docs/results/${RERUN_DIR}/\` (\`pnpm compare --rerun\`), so every ranking rests on one run.`,
  );
  if (run.date && run.date < FLOW_CHANGED_AT)
    out.push(
      `- **Measured on the flow before issue 16's changes**: the compare run of ${run.date.slice(0, 10)} predates the invoice deadline (a durable timer on every run), the approval step and, on the custom engine, two more step rows per run (commit 9b89059 and the stacks' merges after it). Those costs are in none of the tables below; only "Production behaviours" was measured on the current code. \`pnpm compare\` and \`pnpm compare --quick --rerun\` re-measure everything.`,
    );
  for (const [stack, why] of Object.entries(STAND_INS))
    out.push(
      `- **†** ${label(stack).replace(/[†‡]? \(stand-in\)/, '')} is a stand-in: ${why}; its timings and costs are not the Functions host's (see azure-durable-functions/SPEC.md). Its cells are shown and labelled, and it is left out of every ranking.`,
    );
  out.push(
    '- **‡** Dapr runs daprd 1.18.2 with one part of an upstream change backported ([dapr/dapr#10372](https://github.com/dapr/dapr/pull/10372), merged, in no 1.18 release up to 1.18.3; checked 2026-12-02; [patch](../tools/engines/patches/)): a live workflow is no longer deactivated when a leftover wake-up reminder finds its inbox empty. The rest of #10372 (an idle reaper) is not backported. Without the patch, about half the runs at N = 50 wait out a fixed 1 s retry (see dapr/SPEC.md, "The 1-second steps"; `pnpm --filter @invoice/dapr bench --daprd stock` measures the release as tagged).',
  );
  for (const r of results.filter((x) => x.failed))
    out.push(`- **${label(r.stack)} failed in this run**: ${r.failed}`);
  out.push('');

  // The decision table opens the matrix; claims, cost and citations close it (issue 18).
  const page = decisionPage(ok as Parameters<typeof decisionPage>[0], {
    ...decisionExtras(ok, labels.second),
    billing: ok.flatMap((r) => (r.billing && !('failed' in r.billing) ? [r.billing] : [])),
  });
  out.push(page.opening, '');

  // Durability
  out.push('## Durability setting of each engine, as measured', '');
  out.push(
    "Does one step's commit wait for an fsync? A commit that does not survives every process crash (all the kills below) but may be lost on an OS crash or power cut. No engine should win by skipping the disk, so the custom engine is measured both ways.",
    '',
  );
  out.push(
    table(
      ['stack', 'fsync per commit', 'setting', 'source'],
      ok
        .map((r) => ({ r, d: r.durability ?? DURABILITY[r.stack] }))
        .filter(({ d }) => d)
        .map(({ r, d }) => [label(r.stack), d!.fsyncPerCommit, d!.statement, d!.source]),
    ),
    '',
  );

  const latencies = [
    ...new Set(withRows.flatMap((r) => r.fanout!.rows.filter(isCurrentRow).map((x) => x.latencyMs))),
  ].sort((a, b) => a - b);
  const pages = [
    ...new Set(withRows.flatMap((r) => r.fanout!.rows.filter(isCurrentRow).map((x) => x.pages))),
  ].sort((a, b) => a - b);
  const engines = withRows.filter((r) => r.stack !== 'reference');

  // Headline
  const headlines = [
    [50, 500],
    [10, 500],
  ].filter(([N, L]) => engines.some((r) => isCurrentRow(rowAt(r, N!, L!))));
  if (headlines.length) {
    out.push('## Headline: orchestration overhead on a realistic fan-out', '');
    out.push(
      "Each run is interleaved with a run of the reference pipeline (stack, ideal, stack, ideal, …) on its own mock LLM with the same settings. **Dispatch overhead** comes from the run's own spans: the fan-out's wall time (first extract start to last extract end) minus the ideal fan-out ceil(N / C) × the mock's measured per-call time (no mock cap here, so one wave). PDF rendering is not in it, so rendering jitter cancels out. **Gaps** are the three stretches between activities (accepted → split, split → first extract, last extract → aggregate), medians. **Ratio** is end-to-end time over the interleaved reference run, pair by pair.",
      '',
    );
    for (const [N, L] of headlines) {
      out.push(`**N = ${N}, L = ${L} ms**`, '');
      const rows = withRows
        .filter((r) => isCurrentRow(rowAt(r, N!, L!)))
        .map((r) => {
          const x = rowAt(r, N!, L!)!;
          const g = x.measured.gaps;
          return [
            label(r.stack),
            cell(x.measured.e2e),
            r.stack === 'reference' ? '×1' : cell(x.ratio),
            cell(x.measured.dispatchOverhead),
            `${g.queue.median} / ${g.dispatch.median} / ${g.collect.median}`,
            x.measured.errors ? `⚠ ${x.measured.errors}` : 0,
            (r.durability ?? DURABILITY[r.stack])?.fsyncPerCommit ?? '-',
          ];
        });
      out.push(
        table(
          [
            'stack',
            'end-to-end ms',
            'ratio to ideal',
            'dispatch overhead ms',
            'gaps ms (queue / dispatch / collect)',
            'errors',
            'fsync per commit',
          ],
          rows,
        ),
        '',
      );
      out.push(
        `- Dispatch overhead: ${ranking(withRows, (r) => rowAt(r, N!, L!)?.measured.dispatchOverhead, 'lower')}.`,
      );
      out.push(`- End-to-end ratio: ${ranking(withRows, (r) => rowAt(r, N!, L!)?.ratio, 'faster')}.`, '');
    }
    out.push(`Source: ${withRows.map((r) => src(r.stack, 'fanout.rows')).join(', ')}`, '');
  }

  // Latency vs N
  out.push('## Latency vs fan-out width', '');
  out.push(
    'End-to-end time in ms, client-side `POST ?wait=true` until the 200, one invoice at a time; N pages, mock-LLM latency L per page. "ideal" is the reference pipeline (no orchestrator) in the runs interleaved with the stack\'s, on the same kind of blob store as the stack (Durable Functions: Azurite). At L = 0 the flow is CPU-bound (PDF rendering), so a stack that spreads work over several processes can beat the single-process reference on 2 cores.',
    '',
  );
  for (const L of latencies) {
    out.push(`**L = ${L} ms**`, '');
    const rows = pages.map((N) => [
      N,
      ...engines.map((r) => {
        const row = rowAt(r, N, L);
        return isCurrentRow(row)
          ? `${cell(row.measured.e2e)} · ideal ${row.ideal.e2e.median}${row.measured.errors ? ` ⚠${row.measured.errors} err` : ''}`
          : '-';
      }),
    ]);
    out.push(table(['N', ...engines.map((r) => label(r.stack))], rows), '');
    const svgName = `latency-vs-n-L${L}.svg`;
    await writeFile(
      join(charts, svgName),
      lineChart({
        title: `End-to-end median vs N (L = ${L} ms), 95 % CI`,
        xLabel: 'pages (N, log scale)',
        yLabel: 'ms',
        series: withRows.map((r) => ({
          name: label(r.stack),
          points: r
            .fanout!.rows.filter((x) => isCurrentRow(x) && x.latencyMs === L)
            .map((x) => pt(x.pages, x.measured.e2e)),
        })),
      }),
    );
    out.push(`![latency vs N, L=${L}](charts/${svgName})`, '');
  }
  out.push(`Source: ${withRows.map((r) => src(r.stack, 'fanout.rows')).join(', ')}`, '');

  // Overhead
  out.push('## Fan-out dispatch overhead and ratio to ideal', '');
  out.push(
    "Dispatch overhead in ms from each run's own spans (see the headline); the reference's own figure is the floor every stack shares (HTTP to the mock, one blob write per page). Ratio = end-to-end over the interleaved reference run.",
    '',
  );
  out.push(
    table(
      ['stack', ...latencies.flatMap((L) => pages.map((N) => `N=${N} L=${L}`))],
      withRows.map((r) => [
        label(r.stack),
        ...latencies.flatMap((L) =>
          pages.map((N) => {
            const row = rowAt(r, N, L);
            if (!isCurrentRow(row)) return '-';
            return `${cell(row.measured.dispatchOverhead)}${r.stack === 'reference' ? '' : ` (×${row.ratio.median})`}`;
          }),
        ),
      ]),
    ),
    '',
  );
  for (const L of latencies) {
    const svgName = `overhead-vs-n-L${L}.svg`;
    await writeFile(
      join(charts, svgName),
      lineChart({
        title: `Fan-out dispatch overhead vs N (L = ${L} ms), 95 % CI`,
        xLabel: 'pages (N, log scale)',
        yLabel: 'ms',
        series: withRows.map((r) => ({
          name: label(r.stack),
          points: r
            .fanout!.rows.filter(
              (x) => isCurrentRow(x) && x.latencyMs === L && x.measured.dispatchOverhead.n > 0,
            )
            .map((x) => pt(x.pages, x.measured.dispatchOverhead)),
        })),
      }),
    );
    out.push(`![overhead vs N, L=${L}](charts/${svgName})`);
  }
  out.push('', `Source: ${withRows.map((r) => src(r.stack, 'fanout.rows')).join(', ')}`, '');

  // CPU cost
  const costed = ok.filter((r) => r.cpu?.cpuMsPerInvoice?.n);
  if (costed.length) {
    const c0 = costed[0]!.cpu!;
    out.push('## CPU and memory cost per invoice (real flow)', '');
    out.push(
      `CPU time (utime + stime from \`/proc/<pid>/stat\`, children included) of every process of the stack except the mock LLM, per sequential ${c0.pages}-page invoice at L = 0, on a clean instance (measured first, before any load or chaos). Each invoice is one sample. CPU time is far steadier than wall time on a shared machine, so the cost ranking uses it.`,
      '',
    );
    out.push(
      table(
        ['stack', 'CPU-ms per invoice', 'CPU-ms per page', 'peak RSS MiB', 'fsync per commit', 'errors'],
        costed.map((r) => [
          label(r.stack),
          cell(r.cpu!.cpuMsPerInvoice),
          cell(r.cpu!.cpuMsPerPage),
          r.cpu!.peakRssMiB,
          (r.durability ?? DURABILITY[r.stack])?.fsyncPerCommit ?? '-',
          r.cpu!.errors,
        ]),
      ),
      '',
    );
    out.push(`- CPU per invoice: ${ranking(costed, (r) => r.cpu?.cpuMsPerInvoice, 'cheaper')}.`, '');
    await writeFile(
      join(charts, 'cpu-per-invoice.svg'),
      barChart({
        title: `CPU-ms per ${c0.pages}-page invoice (median, 95 % CI)`,
        yLabel: 'CPU-ms',
        bars: costed.map((r) => ({
          label: label(r.stack).replace(' (no orchestrator)', '').replace(', synchronous=FULL', ' FULL'),
          value: r.cpu!.cpuMsPerInvoice.median,
          low: r.cpu!.cpuMsPerInvoice.ci[0],
          high: r.cpu!.cpuMsPerInvoice.ci[1],
        })),
      }),
    );
    out.push('![CPU per invoice](charts/cpu-per-invoice.svg)', '');
    out.push(...cpuComparisonLines(costed, labels));
    out.push(`Source: ${costed.map((r) => src(r.stack, 'cpu')).join(', ')}`, '');
  }

  // Engine-only benchmark and saturation ramp (other modules fill these in).
  for (const render of EXTRA_SECTIONS) out.push(...(await render(ok, charts)));

  // Throughput
  out.push('## Throughput under load', '');
  const loaded = ok.filter((r) => r.load);
  const loadOpts = loaded[0]?.load?.options;
  if (loadOpts)
    out.push(
      `autocannon, ${loadOpts.connections} connections, ${loadOpts.amount} × \`${loadOpts.sample}\` with \`?wait=true\`, mock-LLM latency 100 ms; every response checked against the golden invoice. Rates are over the kit's own clock (first request to last response), not autocannon's rounded duration. One short run per stack: no interval, so no ranking.`,
      '',
    );
  out.push(
    table(
      [
        'stack',
        'invoices/s',
        'pages/s',
        'window ms',
        'latency ms',
        'correct',
        'errors',
        'LLM max in-flight',
        'duplicate extractions',
      ],
      loaded.map((r) => [
        label(r.stack),
        r.load!.invoicesPerSec,
        r.load!.pagesPerSec,
        r.load!.wallMs ?? '-',
        loadLatency(r.load!),
        r.load!.correct,
        r.load!.errorCount ? `${r.load!.errorCount} ${JSON.stringify(r.load!.errors)}` : 0,
        r.load!.llm?.maxInFlight ?? '-',
        r.load!.llm?.duplicateSuccesses ?? '-',
      ]),
    ),
    '',
  );
  await writeFile(
    join(charts, 'throughput.svg'),
    barChart({
      title: 'Throughput (correct invoices/s, one run)',
      yLabel: 'invoices/s',
      bars: loaded.map((r) => ({
        label: label(r.stack).replace(' (no orchestrator)', '').replace(' (stand-in)', ''),
        value: r.load!.invoicesPerSec,
      })),
    }),
  );
  out.push(
    '![throughput](charts/throughput.svg)',
    '',
    `Source: ${loaded.map((r) => src(r.stack, 'load')).join(', ')}`,
    '',
  );
  if (kit.noopMeanMs !== undefined) {
    const means = loaded.map((r) => r.load!.latencyMs.mean);
    const share = means.length ? Math.round((kit.noopMeanMs / Math.min(...means)) * 10000) / 100 : NaN;
    out.push(
      `Kit overhead: the same autocannon run with the same golden check against an in-process no-op handler has a mean latency of ${kit.noopMeanMs} ms (p99 ${kit.noopP99Ms} ms): ${share} % of the smallest mean above, so the kit adds ${share < 1 ? 'less than 1 %' : `${share} %`} to what it reports. Source: [kit-overhead.json](results/compare/kit-overhead.json)`,
      '',
    );
  }

  // Recovery
  const chaosed = ok.filter((r) => r.chaos);
  out.push('## Recovery per process kind (SIGKILL mid fan-out, then restart)', '');
  out.push(
    table(
      [
        'stack',
        'killed process',
        'completed correctly',
        'pages in flight',
        'restart ms',
        'kill → invoice done ms',
        'duplicate extractions',
      ],
      chaosed.flatMap((r) =>
        (r.chaos?.kills ?? []).map((k) => [
          `${label(r.stack)}${r.chaos?.settingsNote ? ' §' : ''}`,
          `${k.process} (${k.kind})`,
          k.completedCorrectly ? 'yes' : `**no: ${k.outcome}**`,
          k.pagesInFlightAtKill,
          k.restartMs,
          k.completedAfterKillMs ?? '-',
          k.duplicateActivityRuns,
        ]),
      ),
    ),
    '',
  );
  for (const r of chaosed.filter((x) => x.chaos?.settingsNote))
    out.push(`- **§** ${label(r.stack)} ran chaos with ${r.chaos!.settingsNote}.`);
  for (const r of chaosed)
    for (const name of (r.processes ?? []).filter((p) => p.killable).map((p) => p.name))
      if (!r.chaos!.kills.some((k) => k.process === name))
        out.push(
          `- ${label(r.stack)}: \`${name}\` is killable but was not killed in this run (\`--max-kills\`).`,
        );
  out.push(`Source: ${chaosed.map((r) => src(r.stack, 'chaos.kills')).join(', ')}`, '');

  // Duplicates + concurrent failures + hangs
  out.push('## Duplicates and lost invoices under injected failures and hangs', '');
  out.push(
    "Concurrent invoices under injected 500s and 429s, then a batch where 5 % of the LLM calls hang: only the stack's own attempt timeout (30 s) gets those pages done, so every hang injected is one attempt timeout the stack had to fire and retry.",
    '',
  );
  out.push(
    table(
      [
        'stack',
        'invoices',
        'injected 500 / 429',
        'golden',
        'incorrect',
        'failed',
        'lost',
        'duplicate extractions',
        'hang batch: hangs / golden / lost',
        'duplicates after kills (sum)',
      ],
      chaosed
        .filter((r) => r.chaos?.concurrent)
        .map((r) => {
          const c = r.chaos!.concurrent!;
          const h = r.chaos!.hangs;
          return [
            label(r.stack),
            c.invoices,
            `${c.injected['500'] ?? 0} / ${c.injected['429'] ?? 0}`,
            c.correct,
            c.incorrect,
            c.failed,
            c.lost,
            c.duplicateActivityRuns,
            h ? `${h.injected.hang ?? 0} / ${h.correct} of ${h.invoices} / ${h.lost}` : 'not run',
            r.chaos!.kills.reduce((a, k) => a + k.duplicateActivityRuns, 0),
          ];
        }),
    ),
    '',
  );
  out.push(`Source: ${chaosed.map((r) => src(r.stack, 'chaos.concurrent, chaos.hangs')).join(', ')}`, '');

  // State size
  const stated = ok.filter((r) => r.state);
  out.push('## Durable state per invoice', '');
  out.push(
    table(
      [
        'stack',
        'what',
        ...[...new Set(stated.flatMap((r) => r.state!.map((s) => s.pages)))].map((n) => `N=${n}`),
      ],
      stated.map((r) => [
        label(r.stack),
        r.state!.find((s) => s.what)?.what ?? 'not measured',
        ...r.state!.map((s) =>
          s.bytes !== undefined
            ? `${Math.round(s.bytes / 102.4) / 10} KiB${s.events !== undefined ? `, ${s.events} events` : ''}`
            : '-',
        ),
      ]),
    ),
    '',
  );
  out.push(`Source: ${stated.map((r) => src(r.stack, 'state')).join(', ')}`, '');

  // LOC + footprint
  const own = ok.filter((r) => !r.variantOf);
  out.push('## Code and footprint', '');
  out.push(
    table(
      [
        'stack',
        'orchestration file',
        'its lines',
        'stack code lines',
        'test lines',
        'processes idle',
        'RSS idle MiB',
        'RSS under load MiB',
      ],
      own.map((r) => [
        label(r.stack),
        r.loc?.orchestrationFile ? `[${r.loc.orchestrationFile}](../${r.loc.orchestrationFile})` : '-',
        r.loc?.orchestrationLines ?? '-',
        r.loc?.codeLines ?? '-',
        r.loc?.testLines ?? '-',
        r.resources?.idle.processes ?? '-',
        r.resources?.idle.rssMiB ?? '-',
        r.resources?.underLoad?.rssMiB ?? '-',
      ]),
    ),
    '',
  );
  out.push(
    "Lines are non-blank TypeScript lines; shared/ (the domain, PDF, contract: identical for all) is not counted. Durable Functions' `test-host/` counts as stack code: it is what runs the orchestrator here. Processes and RSS cover every launched process of the stack (and its children), except the mock LLM.",
    '',
  );
  out.push(`Source: ${own.map((r) => src(r.stack, 'loc, resources')).join(', ')}`, '');

  const sections = await readFile(join(REPO_ROOT, 'tools/src/kit/matrix-sections.md'), 'utf8').catch(
    () => '',
  );
  out.push(...productionSection(await loadProduction(), label, ENGINE_LIMITS));
  if (secondRun.size) out.push(...secondRunSection(ok));
  out.push(page.closing, '');
  out.push(sections.replace('<!-- how-to-choose -->', howToChoose(ok)));
  const file = join(REPO_ROOT, 'docs/comparison-matrix.md');
  await writeFile(file, `${out.join('\n').trim()}\n`);
  return file;
}

/**
 * The "how to choose" section, derived from the measured rows so it changes when they do. Only
 * rankings whose intervals are apart are stated; stand-ins never appear in a ranking.
 */
export function howToChoose(results: StackResult[]): string {
  const real = results.filter(rankable);
  const lines = ['## How to choose (from the numbers above)', ''];
  if (real.some((r) => isCurrentRow(rowAt(r, 50, 500))))
    lines.push(
      `- **Dispatch overhead on a realistic fan-out** (N = 50, L = 500 ms): ${ranking(real, (r) => rowAt(r, 50, 500)?.measured.dispatchOverhead, 'lower')}. When the LLM dominates, every engine is close to ideal end to end.`,
    );
  if (real.some((r) => r.cpu?.cpuMsPerInvoice?.n))
    lines.push(`- **CPU per invoice**: ${ranking(real, (r) => r.cpu?.cpuMsPerInvoice, 'cheaper')}.`);
  // Stand-ins take no part in any line here, rankings or not (their crash semantics are modelled).
  const engines = results.filter((r) => r.stack !== 'reference' && !(r.stack in STAND_INS) && r.chaos);
  const robust = engines.filter(
    (r) =>
      r.chaos!.kills.length > 0 &&
      r.chaos!.kills.every((k) => k.completedCorrectly) &&
      (r.chaos!.concurrent?.lost ?? 0) === 0 &&
      (r.chaos!.concurrent?.incorrect ?? 0) === 0 &&
      (r.chaos!.hangs ? r.chaos!.hangs.correct === r.chaos!.hangs.invoices : true),
  );
  if (engines.length)
    lines.push(
      `- **Survives every kill${engines.some((r) => r.chaos!.hangs) ? ' and hang batch' : ''} we tried, with no lost or wrong invoice**: ${robust.map((r) => label(r.stack)).join(', ') || 'none'}. The reference pipeline shows what is lost without an orchestrator.`,
    );
  const unfinished = engines.filter((r) => (r.chaos as { failed?: string }).failed);
  if (unfinished.length)
    lines.push(
      `- **Chaos run did not finish** (so no robustness claim): ${unfinished.map((r) => `${label(r.stack)} (${(r.chaos as { failed?: string }).failed!.slice(0, 160)})`).join('; ')}.`,
    );
  const small = real.filter((r) => r.loc && !r.variantOf).sort((a, b) => a.loc!.codeLines - b.loc!.codeLines);
  if (small.length)
    lines.push(
      `- **Least code to own**: ${small.map((r) => `${label(r.stack)} ${r.loc!.codeLines} lines`).join(', ')} — but the custom engine's lines include the engine itself, which you also operate and are on call for.`,
    );
  const standIns = results.filter((r) => isStandIn(r.variantOf ?? r.stack));
  if (standIns.length)
    lines.push(
      `- ${standIns.map((r) => label(r.stack)).join(', ')}: measured on a stand-in host, so left out of the rankings above; judge it from its own published figures and from the behaviour tables.`,
    );
  lines.push(
    '- Pick **Temporal** when durability, replay-based debugging and a mature UI matter more than running one more server; **Durable Functions** when you are on Azure already and want serverless billing; **Dapr Workflow** when services in several languages already run with Dapr sidecars; **Prefect** when your team already runs Python pipelines on it and seconds per invoice (a flow process per run) are acceptable; the **custom engine** only when you must own every line and can staff it.',
  );
  return lines.join('\n');
}
