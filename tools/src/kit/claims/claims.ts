/**
 * "Claims vs measured": each quoted claim (claims-data.ts) beside what we measured on this
 * machine and the conditions of both, or why it cannot be tested here. Pure: the measured side
 * comes from a lookup built from the compare JSON (`measuresFromCompare`).
 */

import type { Interval } from '../decision/ranking';
import { CLAIMS, type Claim, type MeasureKey } from './claims-data';

export type Measured = { figure: string; conditions: string };
export type MeasureLookup = (key: MeasureKey) => Measured | undefined;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown: heading, one line of method, and one row per claim. */
export function claimsTable(measure: MeasureLookup, claims: Claim[] = CLAIMS): string {
  const lines = [
    '## Claims vs measured',
    '',
    'Every quantitative claim in the two reference documents this project started from (research notes on Temporal, Prefect and Celery, and notes on orchestration theory), quoted, beside our figure on this machine. Our figures come from one 2-core machine running every process of a stack: they can refute a claim about this setup, but they cannot confirm a claim made for a cluster.',
    '',
    '| claim (quoted) | source, its conditions | measured here | our conditions |',
    '|---|---|---|---|',
  ];
  for (const c of claims) {
    const source = `${c.source}, ${c.section}; ${c.conditions}`;
    if (c.untestable !== undefined) {
      lines.push(
        `| "${cell(c.quote)}" | ${cell(source)} | cannot be tested here: ${cell(c.untestable)} | - |`,
      );
      continue;
    }
    const m = measure(c.measure);
    lines.push(
      m
        ? `| "${cell(c.quote)}" | ${cell(source)} | ${cell(m.figure)} | ${cell(m.conditions)} |`
        : `| "${cell(c.quote)}" | ${cell(source)} | not measured in this run | - |`,
    );
  }
  return lines.join('\n');
}

/** The part of each stack's compare JSON the claims read. */
export type ClaimsCompareJson = {
  stack: string;
  failed?: string;
  resources?: { idle: { processes: number; rssMiB: number } };
  load?: {
    invoicesPerSec: number;
    pagesPerSec: number;
    correct: number;
    options: { connections: number; amount?: number; sample: string };
  };
  fanout?: {
    // measuredP50: rows written before the interleaved sweep; measured.e2e: the current ones
    rows: Array<{
      pages: number;
      latencyMs: number;
      measuredP50?: number;
      measured?: { e2e?: { median: number } };
      orchestrationMs?: number;
    }>;
  };
  chaos?: {
    kills: Array<{ completedCorrectly: boolean; duplicateActivityRuns: number }>;
    concurrent?: {
      invoices: number;
      pages?: number;
      lost: number;
      incorrect: number;
      duplicateActivityRuns: number;
    };
  };
};

/** A sweep row's end-to-end median, in either format. */
const p50Of = (row: NonNullable<ClaimsCompareJson['fanout']>['rows'][number]) =>
  row.measured?.e2e?.median ?? row.measuredP50 ?? Number.NaN;

/** Figures issue 11's measurements add; each optional until the compare JSON has them. */
export type ClaimsExtras = {
  /** engine-only saturation, N = 10, L = 0 */
  workflowsPerSec?: Interval;
  activitiesPerSec?: Interval;
  /** engine-only N = 1, L = 0, workflow start to completion, ms */
  simpleWorkflowMs?: Interval;
  cpuMsPerInvoice?: Interval;
};

const LABEL: Record<string, string> = {
  reference: 'reference',
  'custom-engine': 'custom engine',
  temporal: 'Temporal',
  dapr: 'Dapr',
  'azure-durable-functions': 'Durable Functions†',
};
const label = (s: string) => LABEL[s] ?? s;
const ci = (x: Interval, unit: string) => `${x.median} ${unit} [${x.lo}, ${x.hi}], n = ${x.n}`;
const MACHINE = '2 cores, every process of the stack on one machine, mock LLM';

/** The measured side of each claim, from the compare results and the extras per stack. */
export function measuresFromCompare(
  results: ClaimsCompareJson[],
  extras: Partial<Record<string, ClaimsExtras>> = {},
): MeasureLookup {
  const ORDER = Object.keys(LABEL);
  const ok = results
    .filter((r) => !r.failed)
    .sort((a, b) => ((ORDER.indexOf(a.stack) + 99) % 99) - ((ORDER.indexOf(b.stack) + 99) % 99));
  const engines = ok.filter((r) => r.stack !== 'reference');
  const temporal = ok.find((r) => r.stack === 'temporal');
  const tx = extras.temporal ?? {};
  const perStack = (f: (r: ClaimsCompareJson) => string | undefined) =>
    engines.flatMap((r) => {
      const v = f(r);
      return v === undefined ? [] : [`${label(r.stack)} ${v}`];
    });
  const loadConditions = (r: ClaimsCompareJson) =>
    r.load
      ? `${MACHINE}; autocannon, ${r.load.options.connections} connections, ${r.load.options.amount ?? '?'} × ${r.load.options.sample}, LLM 100 ms per page; the rate divides by a duration rounded up to whole seconds, so it understates`
      : MACHINE;

  const lookups: Record<MeasureKey, () => Measured | undefined> = {
    concurrentInvoices: () => {
      const rows = perStack((r) => {
        const c = r.chaos?.concurrent;
        return c && `${c.lost} lost, ${c.incorrect} wrong of ${c.invoices}`;
      });
      const c = engines.find((r) => r.chaos?.concurrent)?.chaos?.concurrent;
      return rows.length && c
        ? {
            figure: `at most ${c.invoices} concurrent invoices tried: ${rows.join('; ')}`,
            conditions: `${MACHINE}; ${c.pages ?? '?'}-page invoices with 10 % injected 500s and 5 % 429s`,
          }
        : undefined;
    },
    workflowsPerSec: () => {
      if (tx.workflowsPerSec)
        return {
          figure: `Temporal ${ci(tx.workflowsPerSec, 'workflows/s')} at the knee`,
          conditions: `${MACHINE}; engine-only flow (no PDF work), N = 10 activities, L = 0, dev server on SQLite`,
        };
      return temporal?.load
        ? {
            figure: `Temporal ${temporal.load.invoicesPerSec} invoices/s, one workflow each`,
            conditions: `${loadConditions(temporal)}; dev server on SQLite`,
          }
        : undefined;
    },
    activitiesPerSec: () => {
      if (tx.activitiesPerSec)
        return {
          figure: `Temporal ${ci(tx.activitiesPerSec, 'activities/s')} at the knee`,
          conditions: `${MACHINE}; engine-only flow, one extract worker process`,
        };
      return temporal?.load
        ? {
            figure: `Temporal ${temporal.load.pagesPerSec} extract activities/s on one extract worker`,
            conditions: `${loadConditions(temporal)}; the load, not the worker, sets this rate`,
          }
        : undefined;
    },
    simpleWorkflowLatency: () => {
      const row = temporal?.fanout?.rows.find((x) => x.pages === 1 && x.latencyMs === 0);
      const engineOnly = tx.simpleWorkflowMs ? `; engine-only ${ci(tx.simpleWorkflowMs, 'ms')}` : '';
      return row
        ? {
            figure: `Temporal ${p50Of(row)} ms p50 end to end for a 1-page invoice${row.orchestrationMs !== undefined ? `, ${row.orchestrationMs} ms of it outside the 3 activities` : ''}${engineOnly}`,
            conditions: `${MACHINE}; one invoice at a time, LLM latency 0, dev server on SQLite, HTTP API in front`,
          }
        : undefined;
    },
    killsSurvived: () => {
      const rows = perStack((r) => {
        const k = r.chaos?.kills ?? [];
        return k.length ? `${k.filter((x) => x.completedCorrectly).length}/${k.length}` : undefined;
      });
      return rows.length
        ? {
            figure: `kills after which the invoice still completed correctly: ${rows.join(', ')}`,
            conditions: `${MACHINE}; one SIGKILL per process kind mid fan-out, then a restart; not an availability figure`,
          }
        : undefined;
    },
    resourceUsage: () => {
      const rows = perStack((r) => {
        const idle = r.resources?.idle;
        const cpu = extras[r.stack]?.cpuMsPerInvoice;
        return (
          idle &&
          `${idle.rssMiB} MiB in ${idle.processes} processes${cpu ? `, ${ci(cpu, 'CPU-ms/invoice')}` : ''}`
        );
      });
      return rows.length
        ? {
            figure: `resident memory at idle: ${rows.join('; ')}`,
            conditions: `${MACHINE}; every launched process but the mock LLM; Prefect and Celery are not run here`,
          }
        : undefined;
    },
    duplicatesPerCrash: () => {
      const rows = perStack((r) => {
        const k = r.chaos?.kills ?? [];
        if (!k.length) return undefined;
        const dup = k.reduce((a, x) => a + x.duplicateActivityRuns, 0);
        return `${dup} duplicate extractions over ${k.length} kill${k.length === 1 ? '' : 's'}, ${r.chaos?.concurrent?.duplicateActivityRuns ?? '?'} under injected failures`;
      });
      return rows.length
        ? {
            figure: `yes, on crashes: ${rows.join('; ')}`,
            conditions: `${MACHINE}; duplicates = LLM successes beyond the first per page, counted by the mock LLM`,
          }
        : undefined;
    },
    parallelSpeedup: () => {
      const ref = ok.find((r) => r.stack === 'reference');
      const row = ref?.fanout?.rows.find((x) => x.pages === 50 && x.latencyMs === 500);
      return row
        ? {
            figure: `reference, 50 pages: ${p50Of(row)} ms p50, against 25000 ms for the 50 LLM calls one after another (×${Math.round((25000 / p50Of(row)) * 10) / 10})`,
            conditions: `${MACHINE}; LLM latency 500 ms per page; the serial part is the split (PDF rendering)`,
          }
        : undefined;
    },
  };
  return (key) => lookups[key]();
}
