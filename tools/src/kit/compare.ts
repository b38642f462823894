import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticSpecPdf } from '@invoice/shared/flow/synthetic';
import { timeInvoice } from '../bench/e2e';
import { type StackHandle, upStack } from '../launcher/launcher';
import { invoiceStacks, REPO_ROOT } from '../launcher/registry';
import { mockLlm } from '../mock-llm/remote';
import {
  type BenchVariant,
  CAP_KNOBS,
  capSettings,
  chaosRecoveryBudgetMs,
  DF_SHORT_LABEL,
  DURABILITY,
  isStandIn,
  MAX_ACTIVITIES_IN_FLIGHT,
  PREFECT_CHAOS_LABEL,
  STAND_INS,
  shortenedHostJson,
  VARIANTS,
} from './bench-settings';
import { runChaos } from './chaos';
import { runsWithin } from './closed-loop';
import { cpuPerInvoice, cpuPerRun } from './cost';
import { measureInvoiceCounts } from './cost/counters';
import { activitiesPerWorkflow, runEngineBench, runSynthetic } from './engine-bench';
import { estimateCellSeconds, planCells, type SweepOptions, sweep } from './fanout';
import { measureKitOverhead, runLoadTest } from './load-test';
import { linesOfCode } from './loc';
import { RERUN_DIR, writeMatrix } from './matrix';
import { extraConcurrentSeconds, extraRunSeconds } from './plan-costs';
import { Progress, type Step } from './progress';
import { peakResourcesDuring, sampleResources } from './resources';
import { provenance, writeResult } from './results';
import { DEFAULT_SATURATION, runSaturation } from './saturation';

// `pnpm compare`: every stack in turn (only one stack's processes besides the reference run at
// a time), each tool at a sized-down default, then the matrix. `--quick` is the smoke check.
const { values } = parseArgs({
  options: {
    stacks: { type: 'string' },
    quick: { type: 'boolean', default: false },
    pages: { type: 'string' },
    latencies: { type: 'string' },
    runs: { type: 'string' },
    headline: { type: 'string', default: '50:500,10:500' },
    'headline-runs': { type: 'string' },
    'big-pages': { type: 'string', default: '200' },
    'big-runs': { type: 'string' },
    'cell-budget': { type: 'string' },
    cap: { type: 'string', default: String(MAX_ACTIVITIES_IN_FLIGHT) },
    'cpu-invoices': { type: 'string' },
    'cpu-pages': { type: 'string', default: '10' },
    'load-amount': { type: 'string' },
    'load-connections': { type: 'string', default: '4' },
    'chaos-pages': { type: 'string', default: '20' },
    'chaos-invoices': { type: 'string' },
    'hang-invoices': { type: 'string' },
    'max-kills': { type: 'string' },
    'state-pages': { type: 'string' },
    'df-host-json': { type: 'string', default: 'short' },
    variants: { type: 'boolean' },
    plan: { type: 'boolean', default: false },
    'matrix-only': { type: 'boolean', default: false },
    rerun: { type: 'boolean', default: false },
  },
  allowNegative: true,
});
const quick = values.quick;
/**
 * --rerun: a second run for the reproducibility check, written beside the first
 * (docs/results/compare-rerun/). The matrix keeps the first run's numbers and ranks only where
 * both runs' intervals, taken together, are apart.
 */
const OUT = values.rerun ? RERUN_DIR : 'compare';
/** --quick shrinks every default; an explicit flag still wins. */
const pick = (name: keyof typeof values, full: string, smoke: string) =>
  String(values[name] ?? (quick ? smoke : full));
const list = (s: string) => s.split(',').filter(Boolean).map(Number);
const settings = {
  pages: list(pick('pages', '1,10,50,200', '10,50')),
  // --quick: the headline latency only, where the matrix ranks.
  latencies: list(pick('latencies', '0,500', '500')),
  runs: Number(pick('runs', '5', '3')),
  headline: values.headline
    .split(',')
    .filter(Boolean)
    .map((cell) => {
      const [pages, latencyMs] = cell.split(':').map(Number);
      return { pages: pages!, latencyMs: latencyMs! };
    }),
  headlineRuns: Number(pick('headline-runs', '10', '5')),
  bigPages: Number(values['big-pages']),
  bigRuns: Number(pick('big-runs', '3', '2')),
  /** a latency cell's time budget: a stack slower than that gets fewer runs (not below 3) */
  cellBudgetS: Number(pick('cell-budget', '40', '20')),
  cap: Number(values.cap),
  cpuInvoices: Number(pick('cpu-invoices', '10', '5')),
  cpuPages: Number(values['cpu-pages']),
  loadAmount: Number(pick('load-amount', '12', '6')),
  loadConnections: Number(values['load-connections']),
  chaosPages: Number(values['chaos-pages']),
  chaosInvoices: Number(pick('chaos-invoices', '30', '6')),
  hangInvoices: Number(pick('hang-invoices', '6', '0')),
  maxKills: Number(pick('max-kills', '99', '1')),
  statePages: list(pick('state-pages', '50,200', '50')),
  /** Durable Functions' host.json: `short` (DF_SHORT_TIMEOUTS, labelled) or `default` (the app's) */
  dfHostJson: values['df-host-json'],
};

/**
 * Sizes of the engine-only benchmark and the two saturation ramps, cut down from the modules'
 * defaults (30 s steps up to 64 clients) so one `pnpm compare` stays within its hour. The
 * JSON keeps them (`options`), and the matrix states them.
 */
export const ENGINE_ONLY_SIZES = {
  full: { pages: [1, 10, 100, 1000], latencies: [0, 100], runs: 5, cellBudgetMs: 30_000, cpuRuns: 10 },
  quick: { pages: [10, 100], latencies: [0], runs: 3, cellBudgetMs: 15_000, cpuRuns: 5 },
};
export const ENGINE_RAMP_SIZES = {
  full: { clients: [1, 4, 16, 64], stepSeconds: 10, warmupSeconds: 3, pages: 10, stopPastKnee: true },
  quick: { clients: [1, 8], stepSeconds: 5, warmupSeconds: 1, pages: 10, stopPastKnee: true },
};
export const SATURATION_SIZES = {
  full: { clients: [1, 4, 16, 32], stepSeconds: 12, warmupSeconds: 3, stopPastKnee: true },
  quick: { clients: [1, 4], stepSeconds: 6, warmupSeconds: 2, stopPastKnee: true },
};
/** Seconds one ramp takes: warm-up + counted step + a drain of about one request per step. */
const rampSeconds = (r: { clients: number[]; stepSeconds: number; warmupSeconds: number }, drainS: number) =>
  r.clients.length * (r.warmupSeconds + r.stepSeconds + drainS);
const size = quick ? 'quick' : 'full';
const sweepOptions: Omit<SweepOptions, 'onCell'> = {
  pages: settings.pages,
  latencies: settings.latencies,
  runs: settings.runs,
  headline: settings.headline,
  headlineRuns: settings.headlineRuns,
  bigPages: settings.bigPages,
  bigRuns: settings.bigRuns,
  // N = 200 costs the most per run and ranks nowhere: it runs at the realistic latency only.
  bigLatencies: [500],
  cellBudgetMs: settings.cellBudgetS * 1000,
};

/**
 * A variant (the custom engine with a full fsync per commit) answers one question, what the
 * disk costs: it runs only the headline cells, where the matrix ranks.
 */
const sweepFor = (u: { variant?: BenchVariant }): Omit<SweepOptions, 'onCell'> =>
  u.variant
    ? {
        ...sweepOptions,
        pages: [...new Set(settings.headline.map((h) => h.pages))],
        latencies: [...new Set(settings.headline.map((h) => h.latencyMs))],
      }
    : sweepOptions;

/**
 * Where the engine-only benchmark and the saturation ramp plug in. A part without `settings`
 * runs on the stack's own instance after the latency sweep; a part with `settings` (e.g.
 * `{ ACTIVITY_MODE: 'synthetic' }` for the engine-only set) gets its own fresh instance with
 * those settings and the common cap, brought up after the real-flow instance is down, so only
 * one stack's processes run at a time. Its JSON lands under `name` in compare/<stack>.json
 * (matrix.ts EXTRA_SECTIONS render `engineOnly` and `saturation` when present). Wiring, e.g.:
 *   { name: 'engineOnly', settings: { ACTIVITY_MODE: 'synthetic' }, estimateS: () => 240,
 *     run: (h, c) => runEngineBench({ name: c.stack, apiUrl: h.apiUrl, llmUrl: h.llmUrl, handle: h }, …) }
 */
type ExtraPart = {
  name: 'engineOnly' | 'saturation' | (string & {});
  settings?: Record<string, string>;
  estimateS: (stack: string) => number;
  run: (handle: StackHandle, ctx: { stack: string; quick: boolean; cap: number }) => Promise<unknown>;
};
const EXTRA_PARTS: ExtraPart[] = [
  {
    // The real flow under a realistic LLM (lognormal 800 ms, σ 0.5, C = 32), 10-page invoices.
    name: 'saturation',
    estimateS: (stack) =>
      5 +
      extraRunSeconds(stack, 10) +
      rampSeconds(SATURATION_SIZES[size], (stack === 'reference' ? 3 : 5) + extraRunSeconds(stack, 10)),
    run: async (h, c) => {
      const result = await runSaturation(
        { name: c.stack, apiUrl: h.apiUrl, llmUrl: h.llmUrl },
        { ...DEFAULT_SATURATION, ...SATURATION_SIZES[c.quick ? 'quick' : 'full'] },
      );
      await mockLlm.neutral(h.llmUrl); // the state step and chaos expect the neutral mock
      return result;
    },
  },
  {
    // The stack's own orchestration over the synthetic activity set: what the engine costs.
    name: 'engineOnly',
    settings: { ACTIVITY_MODE: 'synthetic' },
    estimateS: (stack) => {
      const slow = stack === 'dapr' || stack === 'azure-durable-functions' ? 3 : 1;
      const s = ENGINE_ONLY_SIZES[size];
      const cell = (N: number, L: number) => {
        const one = L / 1000 + 0.05 + N * 0.004 * slow + extraRunSeconds(stack, N);
        if (one * 1000 > 2 * s.cellBudgetMs) return 0; // skipped (engine-bench.ts predictRunMs)
        return one * (1 + runsWithin(one * 1000, { budgetMs: s.cellBudgetMs, min: 1, max: s.runs }));
      };
      const cells = s.latencies.reduce((a, L) => a + s.pages.reduce((b, N) => b + cell(N, L), 0), 0);
      return (
        (slow > 1 ? 30 : 15) +
        cells +
        s.cpuRuns * (0.2 + extraRunSeconds(stack, 10)) +
        rampSeconds(ENGINE_RAMP_SIZES[size], 1 + extraRunSeconds(stack, 10))
      );
    },
    run: async (h, c) => {
      const s = ENGINE_ONLY_SIZES[c.quick ? 'quick' : 'full'];
      const target = { name: c.stack, apiUrl: h.apiUrl, llmUrl: h.llmUrl, handle: h };
      const bench = await runEngineBench(target, {
        pages: s.pages,
        latencies: s.latencies,
        runs: s.runs,
        cellBudgetMs: s.cellBudgetMs,
        saturation: ENGINE_RAMP_SIZES[c.quick ? 'quick' : 'full'],
      });
      // CPU per engine-only workflow (N = 10, L = 0), one sample per workflow, as for the real flow.
      const spec = { pages: 10, latencyMs: 0 };
      const pdf = await syntheticSpecPdf(spec);
      const cpu = await cpuPerRun(h, s.cpuRuns, async () => (await runSynthetic(h.apiUrl, pdf, spec)).ok);
      return {
        ...bench,
        cpu: {
          ...spec,
          activities: activitiesPerWorkflow(spec.pages),
          runs: cpu.runs,
          errors: cpu.errors,
          cpuMsPerWorkflow: cpu.cpuMs,
          peakRssMiB: cpu.peakRssMiB,
          samples: cpu.samples,
        },
      };
    },
  },
];

/** Durable Functions' shortened host.json (see DF_SHORT_TIMEOUTS), written before the run. */
const DF_SHORT_HOST_JSON = join(tmpdir(), `invoice-compare-host.short.${process.pid}.json`);
async function writeDfShortHostJson() {
  const app = JSON.parse(await readFile(join(REPO_ROOT, 'azure-durable-functions/host.json'), 'utf8'));
  await writeFile(DF_SHORT_HOST_JSON, JSON.stringify(shortenedHostJson(app), null, 2));
}

type Unit = { id: string; stack: string; settings: Record<string, string>; variant?: BenchVariant };
/** Load, saturation, state, chaos and LOC: not for a variant (it answers what the disk costs). */
const allParts = (u: Unit) => !u.variant;
/**
 * The slowest ranked engine early, the stand-in last: if a run overruns its time, what is
 * lost is the column that ranks nowhere.
 */
const COMPARE_ORDER = [
  'reference',
  'prefect',
  'custom-engine',
  'temporal',
  'dapr',
  'azure-durable-functions',
];
const byOrder = (a: string, b: string) =>
  ((COMPARE_ORDER.indexOf(a) + 99) % 99) - ((COMPARE_ORDER.indexOf(b) + 99) % 99);
const stackIds = values.stacks ? values.stacks.split(',') : invoiceStacks().sort(byOrder);
const units: Unit[] = stackIds.flatMap((stack): Unit[] => {
  const variant = VARIANTS.find((v) => v.id === stack);
  if (variant) return [{ id: variant.id, stack: variant.stack, settings: variant.settings, variant }];
  const own: Unit = { id: stack, stack, settings: {} };
  if (stack === 'azure-durable-functions' && settings.dfHostJson === 'short')
    own.settings = { DF_HOST_JSON: DF_SHORT_HOST_JSON };
  // Variants run in the full comparison (not --quick, not with --stacks) unless named or --variants.
  const withVariants = values.variants ?? (!quick && !values.stacks);
  const variants = withVariants ? VARIANTS.filter((v) => v.stack === stack) : [];
  return [own, ...variants.map((v) => ({ id: v.id, stack: v.stack, settings: v.settings, variant: v }))];
});

/** Every step of the run with a rough estimate, for the ETA (and `--plan`). */
function planSteps(): Step[] {
  const steps: Step[] = [{ key: 'kit', estimateS: 8 }];
  for (const u of units) {
    const does = (part: 'fanout' | 'cpu') => !u.variant || u.variant.parts.includes(part);
    const heavy = u.stack === 'dapr' || u.stack === 'azure-durable-functions';
    const extra = (pages: number) => extraRunSeconds(u.stack, pages);
    steps.push({ key: `${u.id}:up`, estimateS: heavy || extra(1) ? 30 : 15 });
    if (does('cpu'))
      steps.push({
        key: `${u.id}:cpu`,
        estimateS: 5 + settings.cpuInvoices * (settings.cpuPages * 0.05 + extra(settings.cpuPages)),
      });
    if (allParts(u))
      steps.push({
        key: `${u.id}:load`,
        estimateS: 5 + settings.loadAmount * 0.5 + extraConcurrentSeconds(u.stack, 3, settings.loadAmount),
      });
    if (does('fanout'))
      for (const [i, cell] of planCells(sweepFor(u)).entries())
        steps.push({
          key: `${u.id}:cell${i}`,
          estimateS: estimateCellSeconds(
            cell,
            u.stack === 'reference',
            extra(cell.pages),
            settings.cellBudgetS * 1000,
          ),
        });
    if (allParts(u)) {
      for (const part of EXTRA_PARTS.filter((p) => !p.settings))
        steps.push({ key: `${u.id}:${part.name}`, estimateS: part.estimateS(u.stack) });
      steps.push({
        key: `${u.id}:state`,
        // + one billing-count invoice on an engine
        estimateS:
          settings.statePages.reduce((a, n) => a + 2 + n * 0.04 + extra(n), 0) +
          (u.stack === 'reference' ? 0 : 3 + extra(10)),
      });
      // Prefect: three services, server, worker, API and PostgreSQL.
      const kills = Math.min(settings.maxKills, u.stack === 'prefect' ? 7 : heavy ? 8 : 4);
      // A killed Durable Functions host waits out its work items' visibility timeout (45 s
      // shortened, 5 min with Azure's defaults) before the restarted host takes them again.
      const waitedOut = u.stack === 'azure-durable-functions' ? (u.settings.DF_HOST_JSON ? 45 : 300) : 0;
      steps.push({
        key: `${u.id}:chaos`,
        estimateS:
          kills * (12 + extra(settings.chaosPages)) +
          settings.chaosInvoices * 0.2 +
          extraConcurrentSeconds(u.stack, settings.chaosPages, settings.chaosInvoices) +
          (settings.hangInvoices ? 75 : 0) +
          waitedOut,
      });
    }
    steps.push({ key: `${u.id}:down`, estimateS: 5 });
    if (!u.variant && u.stack !== 'reference')
      for (const part of EXTRA_PARTS.filter((p) => p.settings))
        steps.push({ key: `${u.id}:${part.name}`, estimateS: part.estimateS(u.stack) });
  }
  return steps;
}

const steps = planSteps();
const progress = new Progress(steps);
const say = (line: string) => console.error(`[compare] ${line}`);
const began = Date.now();

if (values.plan) {
  say(
    `${units.map((u) => u.id).join(', ')}: ${steps.length} steps, about ${Math.round(progress.totalEstimateS / 60)} min`,
  );
  for (const cell of planCells(sweepOptions))
    say(`  cell N=${cell.pages} L=${cell.latencyMs} ms: ${cell.runs} interleaved runs`);
  const e = ENGINE_ONLY_SIZES[size];
  const ramp = (r: { clients: number[]; stepSeconds: number; warmupSeconds: number }) =>
    `clients ${r.clients.join(',')}, ${r.warmupSeconds} + ${r.stepSeconds} s per step`;
  say(
    `  saturation (real flow, 10 pages, lognormal 800 ms σ 0.5, C=${DEFAULT_SATURATION.llmConcurrency}): ${ramp(SATURATION_SIZES[size])}`,
  );
  say(
    `  engine-only (own instance, ACTIVITY_MODE=synthetic; not the reference): N=${e.pages.join(',')} × L=${e.latencies.join(',')} ms, ${e.runs} runs; CPU ${e.cpuRuns} × N=10; ramp N=10 L=0 ${ramp(ENGINE_RAMP_SIZES[size])}`,
  );
  for (const u of units) {
    const own = steps.filter((s) => s.key.startsWith(`${u.id}:`));
    const parts = own.filter((s) => /:(cpu|load|saturation|state|engineOnly|chaos)$/.test(s.key));
    const cells = own.filter((s) => /:cell\d+$/.test(s.key)).reduce((a, s) => a + s.estimateS, 0);
    say(
      `  ${u.id}: about ${Math.round(own.reduce((a, s) => a + s.estimateS, 0) / 60)} min (cells ${Math.round(cells)} s, ${parts.map((s) => `${s.key.split(':')[1]} ${Math.round(s.estimateS)} s`).join(', ')})`,
    );
  }
  process.exit(0);
}

if (!values['matrix-only']) {
  say(
    `${units.map((u) => u.id).join(', ')}; cap ${settings.cap} activities in flight; about ${Math.round(progress.totalEstimateS / 60)} min`,
  );
  // T_ideal runs on the same kind of blob store as the stack it is compared with.
  const references = new Map<string, StackHandle>();
  // One reference at a time, so nothing idles beside the stack measured but its own reference.
  const referenceFor = async (blobStore: 'local' | 'azure') => {
    for (const [kind, handle] of references)
      if (kind !== blobStore) {
        await handle.down();
        references.delete(kind);
      }
    if (!references.has(blobStore))
      references.set(blobStore, await upStack('reference', { settings: { BLOB_STORE: blobStore } }));
    return references.get(blobStore)!;
  };
  if (units.some((u) => u.settings.DF_HOST_JSON === DF_SHORT_HOST_JSON)) await writeDfShortHostJson();
  try {
    progress.start('kit', 'kit overhead: autocannon + golden check against an in-process no-op handler');
    await writeResult(`${OUT}/kit-overhead.json`, {
      ...provenance(),
      ...(await measureKitOverhead('invoice-3p', 4)),
    });
    for (const u of units) {
      const does = (part: 'fanout' | 'cpu') => !u.variant || u.variant.parts.includes(part);
      progress.start(`${u.id}:up`, `${u.id}: up`);
      const reference = u.id === 'reference' ? await referenceFor('local') : undefined;
      const handle =
        reference ??
        (await upStack(u.stack, {
          settings: { ...capSettings(u.stack, settings.cap), ...u.settings },
          verbose: false,
        }));
      const target = { name: u.id, apiUrl: handle.apiUrl, llmUrl: handle.llmUrl };
      const result: Record<string, unknown> = {
        stack: u.id,
        ...(u.variant ? { variantOf: u.stack, variantSettings: u.settings } : {}),
        ...provenance(),
        description: handle.topology.description,
        settings: { ...capSettings(u.stack, settings.cap), ...u.settings },
        cap: { maxActivitiesInFlight: settings.cap, knob: CAP_KNOBS[u.stack] },
        durability: DURABILITY[u.id] ?? DURABILITY[u.stack],
        ...(isStandIn(u.stack) ? { standIn: STAND_INS[u.stack] } : {}),
        processes: handle.processes.map((p) => ({ name: p.name, kind: p.kind, killable: !!p.killable })),
      };
      try {
        await timeInvoice(handle.apiUrl, 1); // warm the stack before sampling idle memory
        result.resources = { idle: await sampleResources(handle) };
        // CPU first, on the clean instance: a leftover run from chaos would burn CPU too.
        if (does('cpu')) {
          progress.start(
            `${u.id}:cpu`,
            `${u.id}: CPU cost, ${settings.cpuInvoices} × ${settings.cpuPages}-page invoices at L = 0`,
          );
          result.cpu = await cpuPerInvoice(handle, {
            invoices: settings.cpuInvoices,
            pages: settings.cpuPages,
          });
        }
        if (allParts(u)) {
          progress.start(
            `${u.id}:load`,
            `${u.id}: load test (${settings.loadAmount} invoices, ${settings.loadConnections} connections)`,
          );
          const load = await peakResourcesDuring(
            handle,
            runLoadTest(target, {
              connections: settings.loadConnections,
              amount: settings.loadAmount,
              durationS: 0,
              sample: 'invoice-3p',
              llm: { latency: { kind: 'fixed', ms: 100 } },
              progress: false,
            }),
          );
          result.load = load.result;
          result.resources = { ...(result.resources as object), underLoad: load.peak };
        }
        if (does('fanout')) {
          const ref = await referenceFor(u.stack === 'azure-durable-functions' ? 'azure' : 'local');
          result.fanout = await sweep(
            target,
            { name: 'reference', apiUrl: ref.apiUrl, llmUrl: ref.llmUrl },
            {
              ...sweepFor(u),
              onCell: (cell, i) =>
                progress.start(
                  `${u.id}:cell${i}`,
                  `${u.id}: fan-out N=${cell.pages} L=${cell.latencyMs} ms, ${cell.runs} runs interleaved with the reference`,
                ),
            },
          );
        }
        if (allParts(u)) {
          for (const part of EXTRA_PARTS.filter((p) => !p.settings)) {
            progress.start(`${u.id}:${part.name}`, `${u.id}: ${part.name}`);
            result[part.name] = await part
              .run(handle, { stack: u.stack, quick, cap: settings.cap })
              .catch((error: Error) => ({ failed: error.message }));
          }
          progress.start(`${u.id}:state`, `${u.id}: state size`);
          const state = [];
          for (const pages of settings.statePages) {
            const run = await timeInvoice(handle.apiUrl, pages);
            const size =
              run.ok && handle.topology.stateSize ? await handle.topology.stateSize(run.body.id) : undefined;
            state.push({ pages, ok: run.ok, ...size });
          }
          result.state = state;
          if (u.stack !== 'reference') {
            // One 10-page invoice's billing units (issue 18's cost table), compute from the CPU part.
            const cpu = result.cpu as Awaited<ReturnType<typeof cpuPerInvoice>> | undefined;
            const load = result.load as { invoicesPerSec?: number } | undefined;
            const under = (result.resources as { underLoad?: { rssMiB: number } }).underLoad;
            result.billing = await measureInvoiceCounts(handle, 10)
              .then((counts) => ({
                ...counts,
                compute: {
                  cpuMsPerInvoice: cpu?.cpuMsPerInvoice.median,
                  memoryMiB: under?.rssMiB ?? cpu?.peakRssMiB,
                  secondsPerInvoice: load?.invoicesPerSec
                    ? Math.round((1 / load.invoicesPerSec) * 1000) / 1000
                    : undefined,
                },
              }))
              .catch((error: Error) => ({ stack: u.stack, pages: 10, failed: error.message }));
          }
          progress.start(`${u.id}:chaos`, `${u.id}: chaos (kills, injected failures, hangs)`);
          // Engines first, so a trimmed list (--quick: one kill) still kills the engine itself.
          const killable = handle.processes
            .filter((p) => p.killable)
            .sort((a, b) => Number(b.kind === 'engine') - Number(a.kind === 'engine'))
            .map((p) => p.name);
          // A stack that chaos wedges still keeps the numbers measured before it.
          result.chaos = await runChaos(handle, {
            pages: settings.chaosPages,
            latencyMs: 300,
            timeoutMs: chaosRecoveryBudgetMs(u.stack, u.settings),
            invoices: settings.chaosInvoices,
            concurrentPages: 3,
            rate500: 0.1,
            rate429: 0.05,
            // Every kill (and the all-sidecars case) unless --max-kills trims the list (--quick: one).
            only: killable.length > settings.maxKills ? killable.slice(0, settings.maxKills) : undefined,
            hangInvoices: settings.hangInvoices,
            rateHang: 0.05,
            hangTimeoutMs: 180_000,
          }).catch((error: Error) => ({ failed: error.message, kills: [], concurrent: undefined }));
          if (u.settings.DF_HOST_JSON === DF_SHORT_HOST_JSON)
            result.chaos = { ...(result.chaos as object), settingsNote: DF_SHORT_LABEL };
          if (u.stack === 'prefect')
            result.chaos = { ...(result.chaos as object), settingsNote: PREFECT_CHAOS_LABEL };
          result.loc = await linesOfCode(u.stack);
        }
        await writeResult(`${OUT}/${u.id}.json`, result);
      } catch (error) {
        say(`${u.id}: FAILED ${(error as Error).stack}`);
        result.failed = (error as Error).message;
        await writeResult(`${OUT}/${u.id}.json`, result);
      } finally {
        progress.start(`${u.id}:down`, `${u.id}: down`);
        if (handle !== reference) await handle.down();
      }
      // Parts that need the stack configured otherwise: one fresh instance each, then down.
      if (!u.variant && u.stack !== 'reference')
        for (const part of EXTRA_PARTS.filter((p) => p.settings)) {
          progress.start(`${u.id}:${part.name}`, `${u.id}: ${part.name} (own instance)`);
          const own = await upStack(u.stack, {
            settings: { ...capSettings(u.stack, settings.cap), ...part.settings },
            verbose: false,
          }).catch((error: Error) => error);
          result[part.name] =
            own instanceof Error
              ? { failed: own.message }
              : await part
                  .run(own, { stack: u.stack, quick, cap: settings.cap })
                  .catch((error: Error) => ({ failed: error.message }))
                  .finally(() => own.down());
          await writeResult(`${OUT}/${u.id}.json`, result);
        }
    }
  } finally {
    for (const r of references.values()) await r.down();
  }
  await writeResult(`${OUT}/run.json`, {
    ...provenance(),
    stacks: units.map((u) => u.id),
    quick,
    wallSeconds: Math.round((Date.now() - began) / 1000),
    settings,
    cap: settings.cap,
  });
}
const file = await writeMatrix();
say(`matrix written to ${file}`);
