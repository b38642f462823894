import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { formatMinor } from '@invoice/shared/domain/money';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { upStack } from './launcher/launcher';
import { invoiceStacks, RUN_ROOT } from './launcher/registry';

// The README's first command: the sample invoice through every stack that exists, result and timings printed.
const { values } = parseArgs({
  options: {
    sample: { type: 'string', default: 'invoice-10p' },
    stacks: { type: 'string' },
  },
});
const sample = SAMPLES.find((s) => s.name === values.sample);
if (!sample)
  throw new Error(`unknown sample "${values.sample}"; known: ${SAMPLES.map((s) => s.name).join(', ')}`);
const stacks = values.stacks ? values.stacks.split(',') : invoiceStacks();
const golden = await readFile(sample.goldenPath, 'utf8');
const pdf = await readFile(sample.pdfPath);

type Row = { stack: string; ok: boolean; golden: boolean; body?: StatusBody; error?: string; upMs: number };
const rows: Row[] = [];
let printed = false;

for (const stack of stacks) {
  const began = Date.now();
  let handle: Awaited<ReturnType<typeof upStack>> | undefined;
  try {
    // One line per stack; each process's own output is in .run/<instance>/logs.
    handle = await upStack(stack);
    const upMs = Date.now() - began;
    console.log(
      `=== ${stack}: ${handle.processes.length} processes up in ${upMs} ms; POST ${sample.name}.pdf (${sample.pages} pages) ?wait=true`,
    );
    const response = await fetch(`${handle.apiUrl}/api/invoices?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: pdf,
    });
    const body = (await response.json()) as StatusBody & { error?: unknown };
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
    const matches = serializeInvoice(body.invoice!) === golden;
    rows.push({ stack, ok: true, golden: matches, body, upMs });
    if (!printed) {
      const inv = body.invoice!;
      console.log(
        `\nInvoice ${inv.invoiceNumber} from ${inv.vendor?.name} to ${inv.customer?.name}, ${inv.pageCount} pages,`,
      );
      console.log(
        `${inv.lineItems.length} line items, subtotal ${formatMinor(inv.subtotal ?? 0)} + tax ${formatMinor(inv.tax ?? 0)} = total ${formatMinor(inv.total ?? 0)} ${inv.currency}`,
      );
      console.log(
        `discrepancies: ${inv.discrepancies.length ? inv.discrepancies.map((d) => d.code).join(', ') : 'none'}`,
      );
      const file = join(RUN_ROOT, `demo-${sample.name}.json`);
      await mkdir(RUN_ROOT, { recursive: true });
      await writeFile(file, serializeInvoice(inv));
      console.log(`the whole invoice: ${file}\n`);
      printed = true;
    }
    console.log(
      `=== ${stack}: ${matches ? 'matches' : 'DIFFERS FROM'} the golden invoice; timings ${JSON.stringify(body.timings)}`,
    );
  } catch (error) {
    rows.push({ stack, ok: false, golden: false, error: (error as Error).message, upMs: Date.now() - began });
    console.error(`=== ${stack}: FAILED: ${(error as Error).message}`);
  } finally {
    await handle?.down();
  }
}

console.log(`\nSample ${sample.name} (${sample.pages} pages), timings in ms measured inside each stack:`);
const header = ['stack', 'result', 'total', 'split', 'extract', 'aggregate', 'orchestration', 'stack up'];
const table = rows.map((r) => [
  r.stack,
  r.ok ? (r.golden ? 'golden' : 'WRONG') : 'FAILED',
  ...(['totalMs', 'splitMs', 'extractMs', 'aggregateMs', 'orchestrationMs'] as const).map((k) =>
    String(r.body?.timings?.[k] ?? '-'),
  ),
  String(r.upMs),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
for (const row of [header, ...table]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
if (rows.some((r) => !r.ok || !r.golden)) process.exitCode = 1;
