import { parseArgs } from 'node:util';
import { printTable } from '../../bench/e2e';
import { runChaos } from '../chaos';
import { provenance, writeResult } from '../results';
import { parseSettings, withStack } from './common';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pages: { type: 'string', default: '20' },
    latency: { type: 'string', default: '300' },
    invoices: { type: 'string', default: '100' },
    'concurrent-pages': { type: 'string', default: '3' },
    'fail-500': { type: 'string', default: '0.1' },
    'fail-429': { type: 'string', default: '0.05' },
    timeout: { type: 'string', default: '180000' },
    'hang-invoices': { type: 'string', default: '20' },
    'fail-hang': { type: 'string', default: '0.05' },
    only: { type: 'string' },
    set: { type: 'string', multiple: true },
  },
});
const stack = positionals[0];
if (!stack) {
  console.error(
    'usage: pnpm chaos <stack> [--pages 20] [--latency 300] [--invoices 100] [--fail-500 0.1] [--fail-429 0.05] [--hang-invoices 20 --fail-hang 0.05] [--only api,worker]',
  );
  process.exit(2);
}
const result = await withStack(stack, parseSettings(values.set), (h) =>
  runChaos(h, {
    pages: Number(values.pages),
    latencyMs: Number(values.latency),
    timeoutMs: Number(values.timeout),
    invoices: Number(values.invoices),
    concurrentPages: Number(values['concurrent-pages']),
    rate500: Number(values['fail-500']),
    rate429: Number(values['fail-429']),
    only: values.only?.split(','),
    hangInvoices: Number(values['hang-invoices']),
    rateHang: Number(values['fail-hang']),
    hangTimeoutMs: Number(values.timeout),
  }),
);
printTable(
  result.kills.map((k) => ({
    process: k.process,
    kind: k.kind,
    completed: k.completedCorrectly ? 'yes' : `NO (${k.outcome})`,
    'restart ms': k.restartMs,
    'done after kill ms': k.completedAfterKillMs ?? '-',
    duplicates: k.duplicateActivityRuns,
  })),
);
if (result.concurrent)
  printTable(
    [result.concurrent].map(({ invoices, correct, incorrect, failed, lost, duplicateActivityRuns }) => ({
      invoices,
      correct,
      incorrect,
      failed,
      lost,
      duplicateActivityRuns,
    })),
  );
if (result.hangs)
  printTable([
    {
      scenario: `hangs (${result.hangs.injected.rateHang})`,
      invoices: result.hangs.invoices,
      'hangs injected': result.hangs.injected.hang,
      correct: result.hangs.correct,
      lost: result.hangs.lost,
      failed: result.hangs.failed,
    },
  ]);
await writeResult(`chaos-${stack}.json`, { ...provenance(), ...result });
const bad =
  result.kills.some((k) => !k.completedCorrectly) ||
  (result.concurrent && result.concurrent.correct !== result.concurrent.invoices) ||
  (result.hangs && result.hangs.correct !== result.hangs.invoices);
if (bad) process.exitCode = 1;
