import { PRODUCTION_BEHAVIOURS, type ProductionBehaviour } from '@invoice/shared/contract/types';
import { table } from './markdown';
import type { ProductionResult } from './production-bench';
import { compareIntervals, formatSummary, type Summary, widenSummary } from './stats';

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
  'azure-durable-functions':
    'on this test host, no second worker: it is one process with no shared work-item queue, so two workers are not shown (a real deployment spreads one task hub’s work-item queue and leased control-queue partitions over its instances); an activity already running cannot be stopped (terminate and the deadline leave it to finish); a custom status cannot be cleared, so a decided run reads `decision_taken` until it ends. [SPEC](../azure-durable-functions/SPEC.md)',
  prefect:
    'the approval timeout is Prefect’s own: the server’s `FailExpiredPauses` sweep (every 5 s, whole seconds) ends a suspended run `Failed` and never runs it again, so the API resubmits it to record the timeout on the invoice (recording needs a running API); a resumed run starts a new flow process (its tasks come back from their persisted results), seconds per resume; a Python thread cannot be killed, so an extract in flight at the deadline runs to its 35 s attempt timeout; extract runs as threads of the flow process, which a worker starts in a session of its own, so killing a worker stops no extract (the orphaned process ends `Crashed` and is resubmitted). [SPEC](../prefect/SPEC.md)',
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

const isResult = (f: ProductionFile): f is ProductionResult => !('failed' in f);

/** "first · second" when a second run measured the stack, else the first alone. */
const both = <T>(first: T, second: T | undefined, show: (x: T) => string | number) =>
  second === undefined ? String(show(first)) : `${show(first)} · ${show(second)}`;

/**
 * Two workers vs one across both runs: each interval widened by the other run's (stats.ts
 * widenSummary), so "higher"/"lower" holds in each run; anything else is a tie within noise.
 */
export function workersVerdict(
  first: { oneWorker: Summary; twoWorkers: Summary },
  second?: { oneWorker: Summary; twoWorkers: Summary },
): string {
  const v = compareIntervals(
    widenSummary(first.twoWorkers, second?.twoWorkers),
    widenSummary(first.oneWorker, second?.oneWorker),
  );
  if (v === 'tie') return 'tie within noise';
  return `two workers ${v}${second ? ' (both runs)' : ' (one run)'}`;
}

export function productionSection(
  files: ProductionFile[],
  label: (stack: string) => string,
  cannot: Record<string, string>,
  rerun: ProductionFile[] = [],
): string[] {
  if (!files.length) return [];
  const ok = files.filter(isResult);
  const second = new Map(rerun.filter(isResult).map((r) => [r.stack, r]));
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
        'one of two extract workers SIGKILLed (each in turn; the costlier shown)',
        'kill → end ms',
        'duplicate LLM calls (pages called by the kill, the bound)',
        'invoices/s, 1 worker',
        'invoices/s, 2 workers',
        '2 vs 1 worker',
      ],
      ok.map((r) => {
        const r2 = second.get(r.stack);
        const k = r.twoWorkersKill;
        const k2 = r2?.twoWorkersKill;
        const t = r.throughput;
        const t2 = r2?.throughput;
        const noSecond = r.stack === 'reference' ? 'n/a (one process)' : 'cannot run a second one here';
        const approval = (x: ProductionResult) =>
          x.approvalRestart.pass
            ? 'pass'
            : `**fail** (${x.approvalRestart.afterRestart === 'lost' ? 'the run is gone' : escapeCell(x.approvalRestart.error ?? x.approvalRestart.finalStatus ?? '?')})`;
        return [
          label(r.stack),
          both(r, r2, (x) => verdict(x.cancel.pass)),
          both(r, r2, (x) => x.cancel.callsStartedAfter ?? '-'),
          both(r, r2, approval),
          k ? both(k, k2, (x) => verdict(x.pass)) : noSecond,
          k ? both(k, k2, (x) => `${x.completedAfterKillMs ?? '-'} (${x.killed ?? '?'})`) : '-',
          k ? both(k, k2, (x) => `${x.duplicates ?? '-'} (${x.pagesCalledByKill ?? '-'})`) : '-',
          t ? both(t, t2, (x) => formatSummary(x.oneWorker)) : '-',
          t ? both(t, t2, (x) => formatSummary(x.twoWorkers)) : '-',
          t ? workersVerdict(t, t2) : '-',
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
        (t.rounds.some((x) => x.completedPerSec !== undefined)
          ? 'A round counts each correct invoice by the share of its time inside the window (Little’s law for a closed loop), so an invoice about as long as the window does not count as all or nothing. '
          : 'A round counts the invoices completed inside the window. ') +
        'The common cap of 256 activities applies per worker, so two workers may run twice as many; the LLM cap C bounds both.',
      '',
    );
  }
  const kills = ok.flatMap((r) => [r.twoWorkersKill, second.get(r.stack)?.twoWorkersKill]);
  if (kills.some((k) => k && k.pagesCalledByKill === undefined)) {
    out.push(
      'A kill shown with `(-)` comes from a run without `pagesCalledByKill`: it read the calls in flight just before the SIGKILL and passed on a golden invoice alone. The kit and the tests now pass a kill only if every page extracted twice had an LLM call by just after the kill ([fault-scenarios.ts](../tools/src/testing/fault-scenarios.ts)).',
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
  if (second.size) {
    out.push(
      `Where a cell shows two values (first · second), the second comes from \`pnpm production --rerun\` (docs/results/production-rerun/), run after the first; the worker verdict holds only if it holds across both runs' intervals taken together.`,
      '',
    );
  }
  out.push(`Source: ${files.map((f) => `[${f.stack}](results/production/${f.stack}.json)`).join(', ')}`, '');
  return out;
}
