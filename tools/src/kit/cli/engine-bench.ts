import { parseArgs } from 'node:util';
import { printTable } from '../../bench/e2e';
import { PUBLISHED_ANCHORS } from '../anchors';
import { DEFAULT_ENGINE_BENCH, runEngineBench } from '../engine-bench';
import { provenance, writeResult } from '../results';
import { parseSettings, withStack } from './common';

const d = DEFAULT_ENGINE_BENCH;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pages: { type: 'string', default: d.pages.join(',') },
    latencies: { type: 'string', default: d.latencies.join(',') },
    runs: { type: 'string', default: String(d.runs) },
    clients: { type: 'string', default: d.saturation!.clients.join(',') },
    'step-seconds': { type: 'string', default: String(d.saturation!.stepSeconds) },
    'warmup-seconds': { type: 'string', default: String(d.saturation!.warmupSeconds) },
    'saturation-pages': { type: 'string', default: String(d.saturation!.pages) },
    'no-saturation': { type: 'boolean', default: false },
    set: { type: 'string', multiple: true },
  },
});
const stack = positionals[0];
if (!stack) {
  console.error(
    'usage: pnpm engine-bench <stack> [--pages 1,10,100,1000] [--latencies 0,100] [--runs 5] [--clients 1,2,4,8,16,32,64] [--step-seconds 30] [--warmup-seconds 5] [--saturation-pages 10] [--no-saturation] [--set KEY=VALUE]',
  );
  process.exit(2);
}
const list = (s: string) => s.split(',').map(Number);
const options = {
  pages: list(values.pages),
  latencies: list(values.latencies),
  runs: Number(values.runs),
  saturation: values['no-saturation']
    ? undefined
    : {
        clients: list(values.clients),
        stepSeconds: Number(values['step-seconds']),
        warmupSeconds: Number(values['warmup-seconds']),
        pages: Number(values['saturation-pages']),
      },
};
// The synthetic set is switched on by configuration; the stack's orchestration file is its own.
const settings = { ...parseSettings(values.set), ACTIVITY_MODE: 'synthetic' };
const result = await withStack(stack, settings, (h) =>
  runEngineBench({ name: stack, apiUrl: h.apiUrl, llmUrl: h.llmUrl, handle: h }, options),
);
const range = (s: { median: number; min: number; max: number }) => `${s.median} (${s.min}–${s.max})`;
console.log(`\n${stack}, engine only (synthetic activities), one workflow at a time: median (min–max)`);
printTable(
  result.cells.map((c) => ({
    N: c.pages,
    'L ms': c.latencyMs,
    runs: c.samples.length,
    'ms/activity': range(c.msPerActivity),
    'workflow ms': range(c.e2eMs),
    'fan-out ms/extract': range(c.fanoutMsPerExtract),
    'orchestration ms': range(c.orchestrationMs),
    'CPU ms/workflow': c.cpuMsPerWorkflow ?? '',
    errors: c.errors,
  })),
);
if (result.saturation) {
  console.log(`\nsaturation: concurrent workflows of N = ${result.saturation.pages}, L = 0 (closed loop)`);
  printTable(
    result.saturation.steps.map((s) => ({
      clients: s.clients,
      'workflows/s': `${s.workflowsPerSec} (${s.perSecBuckets.min}–${s.perSecBuckets.max})`,
      'activities/s': s.activitiesPerSec,
      'p50 ms': s.latencyMs.p50,
      'p99 ms': `${s.latencyMs.p99}${s.latencyMs.p99IsMax ? '*' : ''}`,
      n: s.latencyMs.n,
      errors: s.errors,
    })),
  );
  console.log('* 100 samples or fewer: the nearest-rank p99 is the maximum');
  const k = result.saturation.knee;
  console.log(
    k
      ? `knee: ${k.workflowsPerSec} workflows/s = ${k.activitiesPerSec} activities/s at ${k.clients} client(s) (p99 ${k.p99} ms < 2 × unloaded ${k.unloadedP99} ms)`
      : 'knee: no step completed a workflow',
  );
}
console.log('\npublished anchors (their hardware and workload, not this machine):');
printTable(PUBLISHED_ANCHORS.map((a) => ({ engine: a.engine, figure: a.figure, source: a.source })));
await writeResult(`engine-${stack}.json`, { ...provenance(), ...result, anchors: PUBLISHED_ANCHORS });
const errors =
  result.cells.reduce((a, c) => a + c.errors, 0) +
  (result.saturation?.steps.reduce((a, s) => a + s.errors, 0) ?? 0);
if (errors > 0) process.exitCode = 1;
