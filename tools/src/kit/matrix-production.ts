import { PRODUCTION_BEHAVIOURS, type ProductionBehaviour } from '@invoice/shared/contract/types';
import { table } from './markdown';
import type { ProductionResult } from './production-bench';
import { formatSummary } from './stats';

/**
 * The matrix's "Production behaviours" section (issue 16), from docs/results/production/*.json
 * (pnpm production). Pure: results in, markdown lines out.
 */

export type ProductionFile =
  | (ProductionResult & { date?: string })
  | { stack: string; failed: string; date?: string };

/** Where each stack's suite asserts these behaviours (the same checks pnpm production records). */
export const PRODUCTION_TESTS: Record<string, string[]> = {
  reference: ['tools/src/reference/reference.test.ts'],
  'custom-engine': ['custom-engine/test/invoice.test.ts', 'custom-engine/test/crash.test.ts'],
  temporal: ['temporal/test/stack.test.ts', 'temporal/test/crash.test.ts'],
  dapr: ['dapr/test/sqlite.test.ts', 'dapr/test/crash.test.ts'],
  'azure-durable-functions': [
    'azure-durable-functions/test/conformance.test.ts',
    'azure-durable-functions/test/crash.test.ts',
  ],
  prefect: ['prefect/test/prefect.test.ts', 'prefect/test/crash.test.ts'],
};

/**
 * What each engine cannot do among these behaviours, stated plainly (each stack's SPEC,
 * "Production behaviours", has the reasons and the sources).
 */
export const ENGINE_LIMITS: Record<string, string> = {
  reference:
    'nothing survives its process: a waiting approval, a deadline timer and every run in flight are lost with it (the restart check fails by design).',
  'custom-engine':
    'its timers fire on a worker’s claim, up to one poll late (20 ms on SQLite, 1 s on PostgreSQL); events are not buffered (a decision before the step waits is refused) and one step per event name can wait at a time; a decision in the milliseconds after a timed-out step was claimed gets a 202 but the timeout is recorded. [SPEC](../custom-engine/SPEC.md)',
  temporal:
    'a running extract learns of a cancel or the deadline only at its next heartbeat (every 2 s), so a shorter one runs to its end; a decision that races the approval timer gets a 202 and is ignored (an Update with a validator would refuse it, but needs a live worker); `?wait=true` learns that a run waits from a once-a-second describe (no push on a memo change); the deadline timer changes the history, so workers must be deployed before the API (or use `patched()`). [SPEC](../temporal/SPEC.md)',
  dapr: 'an activity already running cannot be stopped: terminate and the deadline drop its result while its LLM call runs on; the JS SDK cannot cancel a timer (daprd deletes an instance’s leftover reminders when it completes); `getWorkflowState` can tear (metadata and inbox read apart) while the workflow saves, so `status()` reads again on exactly that error. [SPEC](../dapr/SPEC.md)',
};

const BEHAVIOUR_TITLES: Record<ProductionBehaviour, string> = {
  idempotentUpload: 'idempotent upload',
  cancel: 'cancel',
  approval: 'approval (durable wait)',
  deadline: 'invoice deadline',
  workers: 'second worker',
};

const escapeCell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const verdict = (pass: boolean | undefined) => (pass === undefined ? '-' : pass ? 'pass' : '**fail**');

export function productionSection(
  files: ProductionFile[],
  label: (stack: string) => string,
  cannot: Record<string, string>,
): string[] {
  if (!files.length) return [];
  const ok = files.filter((f): f is ProductionResult => !('failed' in f));
  const out: string[] = ['## Production behaviours (issue 16)', ''];
  out.push(
    'Measured by `pnpm production` (tools/src/kit/production-bench.ts), which runs the same checks the suite asserts ' +
      '(shared/src/testing/scenarios.ts, tools/src/testing/fault-scenarios.ts) against the real engine and records them. ' +
      'Mechanisms are what each stack declares at `GET /healthz`, implemented in its orchestration file.',
    '',
  );
  out.push('### The mechanism each stack maps a behaviour onto', '');
  out.push(
    table(
      ['stack', ...PRODUCTION_BEHAVIOURS.map((b) => BEHAVIOUR_TITLES[b]), 'code', 'tests'],
      ok.map((r) => [
        label(r.stack),
        ...PRODUCTION_BEHAVIOURS.map((b) => escapeCell(r.behaviours[b] ?? 'not declared')),
        r.orchestrationFile ? `[${r.orchestrationFile.split('/').pop()}](../${r.orchestrationFile})` : '-',
        (PRODUCTION_TESTS[r.stack] ?? []).map((t) => `[${t.split('/').pop()}](../${t})`).join(', '),
      ]),
    ),
    '',
  );
  out.push('### Measured', '');
  out.push(
    table(
      [
        'stack',
        'cancel mid fan-out (50 pages, C=4)',
        'LLM calls started after the cancel',
        'approval after SIGKILL of every process',
        'one of two extract workers SIGKILLed',
        'kill → end ms',
        'duplicate LLM calls (in flight at kill)',
        'invoices/s, 1 worker',
        'invoices/s, 2 workers',
        '2 vs 1 worker',
      ],
      ok.map((r) => {
        const k = r.twoWorkersKill;
        const t = r.throughput;
        const noSecond = r.stack === 'reference' ? 'n/a (one process)' : 'cannot run a second one here';
        return [
          label(r.stack),
          verdict(r.cancel.pass),
          r.cancel.callsStartedAfter ?? '-',
          r.approvalRestart.pass
            ? 'pass'
            : `**fail** (${r.approvalRestart.afterRestart === 'lost' ? 'the run is gone' : escapeCell(r.approvalRestart.error ?? r.approvalRestart.finalStatus ?? '?')})`,
          k ? verdict(k.pass) : noSecond,
          k?.completedAfterKillMs ?? '-',
          k ? `${k.duplicates ?? '-'} (${k.inFlightAtKill ?? '-'})` : '-',
          t ? formatSummary(t.oneWorker) : '-',
          t ? formatSummary(t.twoWorkers) : '-',
          t ? (t.verdict === 'tie' ? 'tie within noise' : `two workers ${t.verdict}`) : '-',
        ];
      }),
    ),
    '',
  );
  const t = ok.find((r) => r.throughput)?.throughput;
  if (t) {
    out.push(
      `Throughput: ${t.clients} closed-loop clients posting ${t.pages}-page invoices, LLM ${t.llm} (the saturation setting), ` +
        `${ok.find((r) => r.throughput)?.options.rounds ?? '?'} rounds per worker count interleaved ABBA on two running instances, ` +
        `${t.stepSeconds} s counted per step (Prefect ${Math.max(t.stepSeconds, 30)} s); the median and the interval of the rounds. ` +
        'The common cap of 256 activities applies per worker, so two workers may run twice as many; the LLM cap C bounds both.',
      '',
    );
  }
  const failed = files.filter((f): f is { stack: string; failed: string } => 'failed' in f);
  for (const f of failed)
    out.push(`- ${label(f.stack)}: the run could not complete: ${escapeCell(f.failed)}`);
  if (failed.length) out.push('');
  const limits = ok.filter((r) => cannot[r.stack]);
  if (limits.length) {
    out.push('### What each engine cannot do here', '');
    for (const r of limits) out.push(`- **${label(r.stack)}**: ${cannot[r.stack]}`);
    out.push('');
  }
  out.push(`Source: ${files.map((f) => `[${f.stack}](results/production/${f.stack}.json)`).join(', ')}`, '');
  return out;
}
