/**
 * Billing units per 1,000 invoices from one invoice's measured counts, and money from the
 * user's own prices. The repo quotes no prices: `prices.example.json` holds zeros.
 */

import type { DurableFunctionsCounts, TemporalActions, WriteTally } from './counts';

/** What one invoice of `pages` pages cost on one stack, as counted (see counters.ts). */
export type InvoiceCounts = {
  stack: string;
  pages: number;
  /** when and how it was counted */
  measuredAt?: string;
  temporal?: TemporalActions & { historyBytes: number };
  durableFunctions?: DurableFunctionsCounts;
  stateStore?: { store: string; writes: number; byTable?: WriteTally };
  /**
   * From the kit's CPU accounting (utime + stime of every process of the stack, mock LLM
   * excluded) and memory sampling: CPU-ms per invoice, resident MiB while serving, and the
   * seconds each invoice holds that memory (1 / throughput at the measured load).
   */
  compute?: { cpuMsPerInvoice?: number; memoryMiB?: number; secondsPerInvoice?: number };
};

export type UnitKey =
  | 'temporal.action'
  | 'temporal.historyGBRetained'
  | 'functions.execution'
  | 'stateStore.write'
  | 'cpu.second'
  | 'memory.gbSecond';

export const UNIT_LABEL: Record<UnitKey, string> = {
  'temporal.action': 'Temporal Cloud Actions',
  'temporal.historyGBRetained': 'GB of history retained (Temporal Cloud storage is billed per GB-hour)',
  'functions.execution': 'Functions executions (Consumption plan)',
  'stateStore.write': 'state-store row writes',
  'cpu.second': 'CPU-seconds',
  'memory.gbSecond': 'GB-seconds of resident memory',
};

export type UnitLine = { stack: string; pages: number; unit: UnitKey; per1000: number; basis: string };

const per1000 = (x: number) => Math.round(x * 1000 * 1000) / 1000;

/** One line per billing unit the counts support. */
export function unitsPer1000(c: InvoiceCounts): UnitLine[] {
  const lines: UnitLine[] = [];
  const line = (unit: UnitKey, perInvoice: number, basis: string) =>
    lines.push({ stack: c.stack, pages: c.pages, unit, per1000: per1000(perInvoice), basis });
  if (c.temporal) {
    const kinds = Object.entries(c.temporal.byKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    line(
      'temporal.action',
      c.temporal.total,
      `per invoice from its history: ${kinds}; heartbeats and queries are not in history and not counted`,
    );
    line(
      'temporal.historyGBRetained',
      c.temporal.historyBytes / 1e9,
      `${c.temporal.historyBytes} bytes of history per invoice (server-reported)`,
    );
  }
  if (c.durableFunctions) {
    const d = c.durableFunctions;
    line(
      'functions.execution',
      d.orchestratorReplays + d.activityExecutions + 1,
      `per invoice: ${d.orchestratorReplays} orchestrator replays (one per episode; completions that arrive together share one), ${d.activityExecutions} activity executions, 1 HTTP start (status polls add one each); counted on the test host, a stand-in; Azure Storage transactions are not countable there (it uses no queues or tables)`,
    );
  }
  if (c.stateStore)
    line(
      'stateStore.write',
      c.stateStore.writes,
      `row inserts, updates and deletes in ${c.stateStore.store} during one invoice`,
    );
  if (c.compute?.cpuMsPerInvoice !== undefined)
    line(
      'cpu.second',
      c.compute.cpuMsPerInvoice / 1000,
      `${c.compute.cpuMsPerInvoice} CPU-ms per invoice, every process of the stack`,
    );
  if (c.compute?.memoryMiB !== undefined && c.compute.secondsPerInvoice !== undefined)
    line(
      'memory.gbSecond',
      (c.compute.memoryMiB / 1024) * c.compute.secondsPerInvoice,
      `${c.compute.memoryMiB} MiB resident × ${c.compute.secondsPerInvoice} s per invoice at the measured throughput`,
    );
  return lines;
}

/** The user's prices: `price` money per `per` units (e.g. per 1,000,000 Actions). */
export type Prices = { currency: string; prices: Partial<Record<UnitKey, { price: number; per: number }>> };

export type PricedLine = UnitLine & { cost?: number };

export function price(lines: UnitLine[], prices: Prices): PricedLine[] {
  return lines.map((l) => {
    const p = prices.prices[l.unit];
    if (!p) return l;
    if (!(p.per > 0)) throw new Error(`price for ${l.unit}: "per" must be a positive number`);
    return { ...l, cost: (l.per1000 / p.per) * p.price };
  });
}

const fmt = (x: number) => (x >= 100 ? String(Math.round(x)) : String(Math.round(x * 1000) / 1000));

/** Markdown: the units per 1,000 invoices, with money when prices are given. */
export function costTable(lines: PricedLine[], prices?: Prices): string {
  const header = [
    'stack',
    'pages',
    'unit',
    'per 1,000 invoices',
    ...(prices ? [`cost (${prices.currency})`] : []),
    'counted from',
  ];
  const rows = lines.map((l) => [
    l.stack,
    String(l.pages),
    UNIT_LABEL[l.unit],
    fmt(l.per1000),
    ...(prices ? [l.cost === undefined ? 'no price given' : fmt(l.cost)] : []),
    l.basis,
  ]);
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

/** The matrix section: heading, how to read it, the table (units only: the repo quotes no prices). */
export function costSection(counts: InvoiceCounts[]): string {
  const lines = counts.flatMap(unitsPer1000);
  return [
    '## Cost per 1,000 invoices',
    '',
    "Billing units, counted from what each engine recorded for one invoice of the page count shown, times 1,000. No prices: `pnpm cost --prices prices.json` turns these units into money with your own prices (see `tools/src/kit/cost/prices.example.json`). Temporal Actions follow the Temporal Cloud Actions page (each activity attempt is one); Durable Functions executions follow its billing page (each orchestrator replay is one, and completions that arrive together are handled in one replay); Dapr and the custom engine bill nothing themselves, so their unit is the state store's row writes.",
    '',
    lines.length ? costTable(lines) : 'Not measured in this run.',
  ].join('\n');
}
