import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printTable } from '../../bench/e2e';
import { REPO_ROOT } from '../../launcher/registry';
import { parseLatency } from '../../mock-llm/config';
import { provenance, RESULTS_DIR, readResult, writeResult } from '../results';
import { DEFAULT_SATURATION, runSaturation, type SaturationResult, saturationChart } from '../saturation';
import { parseSettings, withStack } from './common';

const d = DEFAULT_SATURATION;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: d.clients.join(',') },
    'step-seconds': { type: 'string', default: String(d.stepSeconds) },
    'warmup-seconds': { type: 'string', default: String(d.warmupSeconds) },
    pages: { type: 'string', default: String(d.pages) },
    latency: { type: 'string', default: 'lognormal:800:0.5' },
    concurrency: { type: 'string', default: String(d.llmConcurrency) },
    set: { type: 'string', multiple: true },
  },
});
const stack = positionals[0];
if (!stack) {
  console.error(
    'usage: pnpm saturation <stack> [--clients 1,2,4,8,16,32,64] [--step-seconds 30] [--warmup-seconds 5] [--pages 10] [--latency lognormal:800:0.5] [--concurrency 32] [--set KEY=VALUE]',
  );
  process.exit(2);
}
const options = {
  clients: values.clients.split(',').map(Number),
  stepSeconds: Number(values['step-seconds']),
  warmupSeconds: Number(values['warmup-seconds']),
  pages: Number(values.pages),
  llmLatency: parseLatency(values.latency),
  llmConcurrency: Number(values.concurrency),
};
const result = await withStack(stack, parseSettings(values.set), (h) =>
  runSaturation({ name: stack, apiUrl: h.apiUrl, llmUrl: h.llmUrl }, options),
);
console.log(
  `\n${stack}: closed-loop ramp, ${options.pages}-page invoices, LLM ${values.latency} capped at C = ${options.llmConcurrency}`,
);
printTable(
  result.steps.map((s) => ({
    clients: s.clients,
    'invoices/s': `${s.invoicesPerSec} (${s.perSecBuckets.min}–${s.perSecBuckets.max})`,
    'pages/s': s.pagesPerSec,
    'p50 ms': s.latencyMs.p50,
    'p99 ms': `${s.latencyMs.p99}${s.latencyMs.p99IsMax ? '*' : ''}`,
    n: s.latencyMs.n,
    errors: s.errors,
    'LLM max in-flight': s.maxLlmInFlight ?? '',
  })),
);
console.log('* 100 samples or fewer: the nearest-rank p99 is the maximum');
const k = result.knee;
console.log(
  k
    ? `knee: ${k.invoicesPerSec} invoices/s = ${k.pagesPerSec} pages/s at ${k.clients} client(s) (p99 ${k.p99} ms < 2 × unloaded ${k.unloadedP99} ms)`
    : 'knee: no step completed an invoice',
);
await writeResult(`saturation-${stack}.json`, { ...provenance(), ...result });

// One chart with every stack whose saturation result is on disk.
const all: SaturationResult[] = [];
for (const file of (await readdir(RESULTS_DIR)).filter((f) => /^saturation-.+\.json$/.test(f)).sort()) {
  const r = await readResult<SaturationResult>(file);
  if (r?.steps) all.push(r);
}
const chart = join(REPO_ROOT, 'docs/charts/saturation.svg');
await writeFile(chart, saturationChart(all));
console.log(`wrote ${chart}`);
if (result.steps.some((s) => s.errors > 0)) process.exitCode = 1;
