/**
 * Adapter: the compare JSON (docs/results/compare/<stack>.json, as `pnpm compare` writes it
 * today) plus the hand-written facts, turned into the decision table's input.
 *
 * Figures the current JSON does not carry yet (CPU per invoice, engine-only ms per activity,
 * saturation knee, production behaviours: issues 11 and 16) come in through `extras`, so the
 * table works today and takes them once the matrix generator has them.
 */

import type { DecisionCell, DecisionColumn, DecisionInput, DecisionRow, Evidence } from './decision';
import { factRows } from './decision';
import { FACT_ROWS, type FactRow } from './facts';
import { type Interval, pointInterval } from './ranking';

/** The part of one stack's compare JSON this adapter reads. */
export type CompareStackJson = {
  stack: string;
  failed?: string;
  chaos?: {
    kills: Array<{
      process: string;
      completedCorrectly: boolean;
      outcome?: string;
      completedAfterKillMs?: number | null;
      duplicateActivityRuns: number;
    }>;
    concurrent?: { invoices: number; lost: number; incorrect: number };
  };
  state?: Array<{ pages: number; ok: boolean; bytes?: number; events?: number; what?: string }>;
  resources?: { idle: { processes: number } };
  loc?: { orchestrationLines: number };
};

export type MeasuredExtra = { interval: Interval; unit: string; evidence?: Evidence[] };
export type StackExtras = {
  cpuMsPerInvoice?: MeasuredExtra;
  engineMsPerActivity?: MeasuredExtra;
  saturationKnee?: MeasuredExtra;
  productionBehaviours?: { value: string; evidence: Evidence[] };
};

export const DECISION_COLUMNS: DecisionColumn[] = [
  { stack: 'custom-engine', label: 'custom engine' },
  { stack: 'temporal', label: 'Temporal' },
  { stack: 'dapr', label: 'Dapr Workflow‡' },
  { stack: 'azure-durable-functions', label: 'Durable Functions†', standIn: true },
  { stack: 'prefect', label: 'Prefect' },
];

const json = (stack: string, path: string): Evidence => ({
  label: `${stack}.json \`${path}\``,
  href: `results/compare/${stack}.json`,
});
const section = (label: string, anchor: string): Evidence => ({ label, href: `#${anchor}` });
const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 10) / 10);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** "median (min–max), n kills" of a small set of readings, each from a different process kind. */
const spread = (xs: number[], unit: string) =>
  `${round(median(xs))}${unit} median (${round(Math.min(...xs))}–${round(Math.max(...xs))}), ${xs.length} kill${xs.length === 1 ? '' : 's'}`;
const RECOVERY = section('recovery', 'recovery-per-process-kind-sigkill-mid-fan-out-then-restart');

function survives(r: CompareStackJson): DecisionCell | undefined {
  const kills = r.chaos?.kills ?? [];
  const broke = (r.chaos as { failed?: string } | undefined)?.failed;
  // A chaos run that stopped with an error is a finding, not a missing measurement.
  if (broke && !kills.length)
    return { value: `unknown: the chaos run stopped (${broke.slice(0, 80)}…)`, evidence: [RECOVERY] };
  if (!kills.length) return undefined;
  const ok = kills.filter((k) => k.completedCorrectly);
  const c = r.chaos?.concurrent;
  const lost = c ? `; ${c.lost + c.incorrect} of ${c.invoices} lost or wrong under failures` : '';
  const failed = kills
    .filter((k) => !k.completedCorrectly)
    .map((k) => `${k.process} (${k.outcome ?? 'failed'})`);
  return {
    value: `${ok.length === kills.length ? 'yes' : 'no'}: ${ok.length}/${kills.length} kills${failed.length ? `, not after ${failed.join(', ')}` : ''}${lost}`,
    evidence: [RECOVERY],
  };
}

function duplicates(r: CompareStackJson): DecisionCell | undefined {
  const kills = r.chaos?.kills ?? [];
  if (!kills.length) return undefined;
  return {
    value: spread(
      kills.map((k) => k.duplicateActivityRuns),
      '',
    ),
    evidence: [RECOVERY],
  };
}

function recovery(r: CompareStackJson): DecisionCell | undefined {
  const times = (r.chaos?.kills ?? []).flatMap((k) =>
    k.completedAfterKillMs == null ? [] : [k.completedAfterKillMs],
  );
  if (!times.length) return undefined;
  return { value: spread(times, ' ms'), evidence: [RECOVERY] };
}

function stateSize(r: CompareStackJson, pages: number): DecisionCell | undefined {
  const s = r.state?.find((x) => x.pages === pages && x.ok && x.bytes !== undefined);
  if (!s || s.bytes === undefined) return undefined;
  const unit = s.what?.includes('rows') ? 'rows' : s.what?.includes('keys') ? 'keys' : 'events';
  return {
    value: `${round(s.bytes / 1024)} KiB${s.events !== undefined ? `, ${s.events} ${unit}` : ''} at N = ${pages}`,
    // A byte count of one invoice is deterministic, not a noisy timing: a point interval.
    interval: pointInterval(s.bytes),
    evidence: [section('durable state', 'durable-state-per-invoice')],
  };
}

const extraCell = (stack: string, x: MeasuredExtra | undefined, path: string): DecisionCell | undefined =>
  x && {
    value: `${round(x.interval.median)} ${x.unit} [${round(x.interval.lo)}, ${round(x.interval.hi)}], n = ${x.interval.n}`,
    interval: x.interval,
    evidence: x.evidence ?? [json(stack, path)],
  };

/**
 * The decision table's input from the compare results (any order; reference and failed stacks
 * are left out) and the extras per stack. `statePages` picks the N of the durable-state row.
 */
export function decisionInputFromCompare(
  results: CompareStackJson[],
  extras: Partial<Record<string, StackExtras>> = {},
  facts: FactRow[] = FACT_ROWS,
  statePages = 50,
): DecisionInput {
  const byStack = new Map(results.filter((r) => !r.failed).map((r) => [r.stack, r]));
  const measured = (
    question: string,
    cell: (r: CompareStackJson, x: StackExtras) => DecisionCell | undefined,
    better?: 'lower' | 'higher',
  ): DecisionRow => ({
    question,
    better,
    cells: Object.fromEntries(
      DECISION_COLUMNS.flatMap((c) => {
        const r = byStack.get(c.stack) ?? { stack: c.stack };
        const value = cell(r, extras[c.stack] ?? {});
        return value ? [[c.stack, value]] : [];
      }),
    ),
  });
  const fact = (question: string, measuredSuffix?: (r: CompareStackJson) => string | undefined) => {
    const row = factRows(facts).find((f) => f.question.startsWith(question));
    if (!row) throw new Error(`no fact row "${question}"`);
    if (!measuredSuffix) return row;
    // The hand-written value plus what this run measured of it (and where that is shown).
    const cells: DecisionRow['cells'] = {};
    for (const [stack, cell] of Object.entries(row.cells)) {
      const r = byStack.get(stack);
      const suffix = r && measuredSuffix(r);
      cells[stack] =
        cell && suffix
          ? {
              value: `${cell.value}; ${suffix}`,
              evidence: [...cell.evidence, section('footprint', 'code-and-footprint')],
            }
          : cell;
    }
    return { ...row, cells };
  };
  return {
    columns: DECISION_COLUMNS,
    rows: [
      fact('Language support'),
      fact('Learning curve', (r) => r.loc && `orchestration file ${r.loc.orchestrationLines} lines`),
      fact('Setup complexity', (r) => r.resources && `${r.resources.idle.processes} processes at idle`),
      fact('Determinism requirement'),
      fact('Debugging experience'),
      fact('Multi-service decoupling'),
      fact('Fan-out'),
      measured('Survives a SIGKILL of each process', survives),
      measured('Duplicate extractions per crash', duplicates),
      measured('Recovery: kill → invoice done', recovery),
      measured('CPU per invoice', (r, x) => extraCell(r.stack, x.cpuMsPerInvoice, 'cpu'), 'lower'),
      measured(
        'Engine-only ms per activity',
        (r, x) => extraCell(r.stack, x.engineMsPerActivity, 'engineOnly'),
        'lower',
      ),
      measured('Saturation knee', (r, x) => extraCell(r.stack, x.saturationKnee, 'saturation'), 'higher'),
      measured('Durable state per invoice', (r) => stateSize(r, statePages), 'lower'),
      fact('Versioning in flight'),
      measured('Production behaviours', (_r, x) => x.productionBehaviours),
      fact('Cost model'),
      fact('Best for'),
    ],
  };
}
