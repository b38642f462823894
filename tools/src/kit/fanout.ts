import { type Cell, invoiceOf, measureCell, overhead, type Target } from '../bench/e2e';

export type SweepOptions = { pages: number[]; latencies: number[]; runs: number; warmupEveryCell?: boolean };
export type SweepRow = ReturnType<typeof overhead> & {
  p95: number;
  errors: number;
  maxInFlight: number;
  orchestrationMs: number;
};

/**
 * The fan-out sweep: for every (N, L), k runs through the stack and k through the reference
 * pipeline right beside it, under the same mock-LLM settings; overhead = measured − ideal.
 */
export async function sweep(target: Target, reference: Target, options: SweepOptions) {
  // Generating a large invoice blocks the event loop long enough to break idle keep-alive
  // connections, so every invoice is made before the first request.
  for (const pages of options.pages) await invoiceOf(pages);
  const cells: Array<{ measured: Cell; ideal: Cell }> = [];
  const total = options.pages.length * options.latencies.length;
  for (const latency of options.latencies) {
    for (const pages of options.pages) {
      console.error(
        `[fanout] ${target.name} ${cells.length + 1}/${total}: N=${pages} L=${latency} ms, ${options.runs} runs + reference`,
      );
      // One warm-up per target (the first cell) is enough: later cells run on a warm process.
      const warmup = cells.length === 0 || options.warmupEveryCell === true;
      const ideal = await measureCell(reference, pages, latency, options.runs, warmup);
      const measured =
        target.name === reference.name
          ? ideal
          : await measureCell(target, pages, latency, options.runs, warmup);
      cells.push({ measured, ideal });
    }
  }
  return { cells, rows: cells.map(({ measured, ideal }) => toRow(measured, ideal)) };
}

export function toRow(measured: Cell, ideal: Cell): SweepRow {
  return {
    ...overhead(measured, ideal),
    p95: measured.e2eMs.p95,
    errors: measured.errors,
    maxInFlight: measured.maxInFlight,
    orchestrationMs: measured.inside.orchestrationMs,
  };
}
