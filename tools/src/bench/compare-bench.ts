import { parseArgs } from 'node:util';
import { capSettings } from '../kit/bench-settings';
import { printableRow, type SweepOptions, sweep } from '../kit/fanout';
import { provenance, writeResult } from '../kit/results';
import { upStack } from '../launcher/launcher';
import { invoiceOf, printTable } from './e2e';

export type BenchOptions = SweepOptions & {
  settings?: Record<string, string>;
  label?: string;
  /** Result file under docs/results/; `<stack>-bench.json` unless a variant needs its own. */
  file?: string;
};

/**
 * End-to-end time of one stack against the reference pipeline (T_ideal measured right beside
 * each cell). Prints a table and writes docs/results/<stack>-bench.json (or `file`). Each stack's own
 * benchmark script is this call with its N and L grid.
 */
export async function benchAgainstReference(stack: string, options: BenchOptions) {
  // The same cap on activities in flight as every other benchmark (tools/src/kit/bench-settings.ts).
  const target = await upStack(stack, { settings: { ...capSettings(stack), ...options.settings } });
  // T_ideal on the same kind of blob store as the stack (local folder or Azurite).
  const reference =
    stack === 'reference'
      ? target
      : await upStack('reference', { settings: { BLOB_STORE: target.env.BLOB_STORE ?? 'local' } });
  try {
    const { raw, rows } = await sweep(
      { name: stack, ...target },
      { name: 'reference', ...reference },
      options,
    );
    console.log(
      `\n${stack}${options.label ? ` (${options.label})` : ''}: end-to-end vs the reference pipeline, runs interleaved (median [95 % CI] n)`,
    );
    printTable(rows.map(printableRow));
    const result = { stack, label: options.label, ...provenance(), options, rows, raw };
    await writeResult(options.file ?? `${stack}-bench.json`, result);
    return result;
  } finally {
    if (target !== reference) await target.down();
    await reference.down();
  }
}

type StringOptions = Record<string, { type: 'string'; default: string }>;

/**
 * A stack's benchmark script: `--pages`, `--latencies`, `--runs` plus the stack's own string
 * options, the invoices generated first (200 pages block the event loop for a while), then
 * benchAgainstReference with what `variant` makes of the stack's options.
 */
export async function benchCli(
  stack: string,
  own: StringOptions,
  variant: (values: Record<string, string>) => Omit<BenchOptions, keyof SweepOptions>,
) {
  const { values } = parseArgs({
    options: {
      pages: { type: 'string', default: '1,10,50,200' },
      latencies: { type: 'string', default: '0,500' },
      runs: { type: 'string', default: '3' },
      ...own,
    },
  });
  const all = values as Record<string, string>;
  const numbers = (s: string) => s.split(',').filter(Boolean).map(Number);
  for (const pages of numbers(all.pages!)) await invoiceOf(pages);
  return benchAgainstReference(stack, {
    pages: numbers(all.pages!),
    latencies: numbers(all.latencies!),
    runs: Number(all.runs),
    ...variant(all),
  });
}
