import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { upStack } from '../launcher/launcher';
import { REPO_ROOT } from '../launcher/registry';
import { type Cell, measureCell, overhead, printTable } from './e2e';

export type BenchOptions = {
  pages: number[];
  latencies: number[];
  runs: number;
  settings?: Record<string, string>;
  label?: string;
};

/**
 * End-to-end time of one stack against the reference pipeline, cell by cell, in the same run and
 * under the same mock-LLM settings (T_ideal is measured right beside each measurement).
 * Prints a table and writes docs/results/<stack>-bench.json.
 */
export async function benchAgainstReference(stack: string, options: BenchOptions) {
  const reference = await upStack('reference');
  const target = stack === 'reference' ? reference : await upStack(stack, { settings: options.settings });
  const cells: Array<{ measured: Cell; ideal: Cell }> = [];
  try {
    for (const latency of options.latencies) {
      for (const pages of options.pages) {
        console.error(`[bench] ${stack}: N=${pages} L=${latency}ms x${options.runs}`);
        const ideal = await measureCell({ name: 'reference', ...reference }, pages, latency, options.runs);
        const measured =
          stack === 'reference'
            ? ideal
            : await measureCell({ name: stack, ...target }, pages, latency, options.runs);
        cells.push({ measured, ideal });
      }
    }
  } finally {
    if (target !== reference) await target.down();
    await reference.down();
  }
  const rows = cells.map(({ measured, ideal }) => ({
    ...overhead(measured, ideal),
    p95: measured.e2eMs.p95,
    errors: measured.errors,
    maxInFlight: measured.maxInFlight,
    orchestrationMs: measured.inside.orchestrationMs,
  }));
  console.log(
    `\n${stack}${options.label ? ` (${options.label})` : ''}: end-to-end p50 vs the reference pipeline (ms)`,
  );
  printTable(rows);
  const result = {
    stack,
    label: options.label,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    command: process.argv.slice(1).join(' '),
    options,
    rows,
    cells,
  };
  await mkdir(join(REPO_ROOT, 'docs/results'), { recursive: true });
  const file = join(REPO_ROOT, `docs/results/${stack}-bench.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return result;
}
