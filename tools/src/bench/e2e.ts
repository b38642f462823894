import type { StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import type { Timings } from '@invoice/shared/flow/types';
import { generateInvoicePdf } from '@invoice/shared/samples/generate';
import { mockLlm } from '../mock-llm/remote';

/** One stack as the benchmarks see it: its contract API and its mock LLM. */
export type Target = { name: string; apiUrl: string; llmUrl: string };

export type Cell = {
  stack: string;
  pages: number;
  latencyMs: number;
  runs: number;
  errors: number;
  /** end-to-end, client-side, POST ?wait=true until the 200 */
  e2eMs: { p50: number; p95: number; mean: number; samples: number[] };
  /** medians of what the stack measured inside itself */
  inside: Timings;
  maxInFlight: number;
};

export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const median = (values: number[]) => percentile(values, 50);
const round = (n: number) => Math.round(n * 10) / 10;

const invoices = new Map<number, Promise<{ pdf: Uint8Array; golden: string }>>();
/** A generated invoice of N pages (seeded, so every stack gets the same bytes) and its golden JSON. */
export function invoiceOf(pages: number) {
  if (!invoices.has(pages)) {
    invoices.set(
      pages,
      generateInvoicePdf({ seed: 9000 + pages, pages }).then(({ pdf, expected }) => ({
        pdf,
        golden: serializeInvoice(expected),
      })),
    );
  }
  return invoices.get(pages)!;
}

/** POSTs a PDF with ?wait=true and times it, client-side, until the answer. */
export async function postAndWait(apiUrl: string, pdf: Uint8Array) {
  const began = performance.now();
  const response = await fetch(`${apiUrl}/api/invoices?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: Buffer.from(pdf),
  });
  const body = (await response.json()) as StatusBody;
  return { ms: performance.now() - began, body, status: response.status };
}

/** POSTs one invoice with ?wait=true; wrong or missing invoices are errors, never successes. */
export async function timeInvoice(apiUrl: string, pages: number) {
  const { pdf, golden } = await invoiceOf(pages);
  const { ms, body, status } = await postAndWait(apiUrl, pdf);
  const ok = status === 200 && !!body.invoice && serializeInvoice(body.invoice) === golden;
  return { ms, ok, body, status };
}

/** Runs `runs` invoices of N pages one after another at LLM latency L and summarises them. */
export async function measureCell(
  target: Target,
  pages: number,
  latencyMs: number,
  runs: number,
  warmup = true,
): Promise<Cell> {
  await mockLlm.neutral(target.llmUrl);
  await mockLlm.configure(target.llmUrl, { latency: { kind: 'fixed', ms: latencyMs } });
  if (warmup) await timeInvoice(target.apiUrl, pages); // first-run costs (JIT, connections, caches) are not fan-out
  await mockLlm.reset(target.llmUrl);
  const samples: number[] = [];
  const inside: Timings[] = [];
  let errors = 0;
  for (let i = 0; i < runs; i++) {
    const run = await timeInvoice(target.apiUrl, pages);
    if (!run.ok) errors++;
    else {
      samples.push(run.ms);
      if (run.body.timings) inside.push(run.body.timings);
    }
  }
  const metrics = await mockLlm.metrics(target.llmUrl);
  const insideMedian = Object.fromEntries(
    (['totalMs', 'splitMs', 'extractMs', 'aggregateMs', 'orchestrationMs'] as const).map((k) => [
      k,
      median(inside.map((t) => t[k])),
    ]),
  ) as Timings;
  return {
    stack: target.name,
    pages,
    latencyMs,
    runs,
    errors,
    e2eMs: {
      p50: round(median(samples)),
      p95: round(percentile(samples, 95)),
      mean: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length)),
      samples: samples.map(round),
    },
    inside: insideMedian,
    maxInFlight: metrics.maxInFlight,
  };
}

/** measured − ideal, in total and per page: what the orchestrator costs on top of plain code. */
export function overhead(measured: Cell, ideal: Cell) {
  const totalMs = round(measured.e2eMs.p50 - ideal.e2eMs.p50);
  return {
    pages: measured.pages,
    latencyMs: measured.latencyMs,
    measuredP50: measured.e2eMs.p50,
    idealP50: ideal.e2eMs.p50,
    ratio: Math.round((measured.e2eMs.p50 / ideal.e2eMs.p50) * 100) / 100,
    overheadMs: totalMs,
    overheadPerPageMs: round(totalMs / measured.pages),
  };
}

export function printTable(rows: Array<Record<string, unknown>>) {
  if (rows.length === 0) return;
  const header = Object.keys(rows[0]!);
  const cells = rows.map((r) => header.map((h) => String(r[h] ?? '')));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const row of [header, ...cells]) console.log(row.map((c, i) => c.padStart(widths[i]!)).join('  '));
}
