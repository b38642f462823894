import { parseArgs } from 'node:util';
import { DEFAULT_PRODUCTION, type ProductionResult, runProductionBench } from '../production-bench';
import { provenance, writeResult } from '../results';
import { formatSummary } from '../stats';

/** Every stack, in the matrix's order; the reference shows what no engine means (no restart survives). */
export const PRODUCTION_STACKS = [
  'reference',
  'custom-engine',
  'temporal',
  'dapr',
  'azure-durable-functions',
  'prefect',
];

const d = DEFAULT_PRODUCTION;
const { values } = parseArgs({
  options: {
    stacks: { type: 'string', default: PRODUCTION_STACKS.join(',') },
    rounds: { type: 'string', default: String(d.rounds) },
    clients: { type: 'string', default: String(d.clients) },
    'step-seconds': { type: 'string', default: String(d.stepSeconds) },
    'warmup-seconds': { type: 'string', default: String(d.warmupSeconds) },
  },
});
const stacks = values.stacks.split(',').filter(Boolean);
const unknown = stacks.filter((s) => !PRODUCTION_STACKS.includes(s));
if (unknown.length) {
  console.error(`unknown stack(s) ${unknown.join(', ')}; use ${PRODUCTION_STACKS.join(', ')}`);
  process.exit(2);
}
const options = {
  ...d,
  rounds: Number(values.rounds),
  clients: Number(values.clients),
  stepSeconds: Number(values['step-seconds']),
  warmupSeconds: Number(values['warmup-seconds']),
};
for (const [key, value] of Object.entries(options)) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${key} must be a whole number >= 1, not ${value}`);
    process.exit(2);
  }
}

const started = Date.now();
const yesNo = (pass: boolean | undefined) => (pass ? 'pass' : 'FAIL');
for (const [i, stack] of stacks.entries()) {
  console.error(
    `[production] ${i + 1}/${stacks.length}: ${stack} (${Math.round((Date.now() - started) / 1000)} s so far)`,
  );
  let result: ProductionResult;
  try {
    result = await runProductionBench(stack, options);
  } catch (error) {
    console.error(`[production] ${stack} could not run: ${(error as Error).message}`);
    await writeResult(`production/${stack}.json`, {
      ...provenance(),
      stack,
      failed: (error as Error).message,
    });
    continue;
  }
  await writeResult(`production/${stack}.json`, { ...provenance(), ...result });
  const t = result.throughput;
  const k = result.twoWorkersKill;
  console.log(
    [
      `${stack}`,
      `cancel ${yesNo(result.cancel.pass)} (${result.cancel.callsStartedAfter ?? '?'} LLM calls started after it)`,
      `approval across restart ${yesNo(result.approvalRestart.pass)}`,
      k
        ? `one of two workers killed ${yesNo(k.pass)} (${k.completedAfterKillMs ?? '?'} ms to the end, ${k.duplicates ?? '?'} duplicates)`
        : 'no second worker',
      t
        ? `invoices/s 1 worker ${formatSummary(t.oneWorker)}, 2 workers ${formatSummary(t.twoWorkers)}: ${t.verdict === 'tie' ? 'tie within noise' : `two workers ${t.verdict}`}`
        : '',
    ]
      .filter(Boolean)
      .join('; '),
  );
}
console.error(`[production] done in ${Math.round((Date.now() - started) / 1000)} s`);
