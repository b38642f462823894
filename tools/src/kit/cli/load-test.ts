import { parseArgs } from 'node:util';
import { printTable } from '../../bench/e2e';
import { parseLatency } from '../../mock-llm/config';
import { measureKitOverhead, runLoadTest } from '../load-test';
import { provenance, writeResult } from '../results';
import { parseSettings, withStack } from './common';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    connections: { type: 'string', default: '4' },
    duration: { type: 'string', default: '20' },
    amount: { type: 'string' },
    sample: { type: 'string', default: 'invoice-3p' },
    latency: { type: 'string', default: 'fixed:100' },
    'fail-429': { type: 'string', default: '0' },
    'fail-500': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '0' },
    set: { type: 'string', multiple: true },
  },
});
const stack = positionals[0];
if (!stack) {
  console.error(
    'usage: pnpm load-test <stack> [--connections 4] [--duration 20 | --amount N] [--sample invoice-3p] [--latency fixed:100] [--fail-429 0.05] [--fail-500 0.1] [--concurrency C]',
  );
  process.exit(2);
}
const options = {
  connections: Number(values.connections),
  durationS: Number(values.duration),
  amount: values.amount ? Number(values.amount) : undefined,
  sample: values.sample,
  llm: {
    latency: parseLatency(values.latency),
    concurrency: Number(values.concurrency),
    failures: {
      rate429: Number(values['fail-429']),
      rate500: Number(values['fail-500']),
      rateHang: 0,
      retryAfterSeconds: 0.2,
      script: [],
    },
  },
};
const result = await withStack(stack, parseSettings(values.set), (h) =>
  runLoadTest({ name: stack, apiUrl: h.apiUrl, llmUrl: h.llmUrl }, options),
);
const kit = await measureKitOverhead(options.sample, options.connections);
printTable([
  {
    stack,
    'invoices/s': result.invoicesPerSec,
    'p50 ms': result.latencyMs.p50,
    'p90 ms': result.latencyMs.p90,
    'p99 ms': result.latencyMs.p99,
    correct: result.correct,
    errors: result.errorCount ? JSON.stringify(result.errors) : 0,
    'LLM max in-flight': result.llm?.maxInFlight,
    'duplicate calls': result.llm?.duplicateSuccesses,
    'kit mean ms': kit.noopMeanMs,
  },
]);
await writeResult(`load-${stack}.json`, { ...provenance(), ...result, kitOverhead: kit });
if (result.errorCount > 0) process.exitCode = 1;
