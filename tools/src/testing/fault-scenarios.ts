import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AcceptedBody,
  type InvoiceStatus,
  isFinal,
  type StatusBody,
} from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES, type Sample } from '@invoice/shared/samples/corpus';
import { decide as postDecision } from '@invoice/shared/testing/scenarios';
import type { StackHandle } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';

/**
 * The fault scenarios of the stacks' integration tests, without vitest, so the measuring kit
 * (tools/src/kit/production-bench.ts) runs exactly what the tests assert on.
 */

export const sample = (pages: number): Sample => {
  const found = SAMPLES.find((s) => s.pages === pages && !s.name.includes('mismatch'));
  if (!found) throw new Error(`no ${pages}-page sample in data/samples`);
  return found;
};

/** POST without waiting: the run goes on in the stack while the test injects faults. */
export async function submit(apiUrl: string, s: Sample): Promise<string> {
  const response = await fetch(`${apiUrl}/api/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: await readFile(s.pdfPath),
  });
  if (response.status !== 202)
    throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as AcceptedBody).id;
}

/**
 * Polls GET /api/invoices/:id until the run is final (or in one of `statuses`). Connection errors
 * and non-200s are tolerated until the deadline: the API may be down while a test has killed a
 * process.
 */
export async function until(
  apiUrl: string,
  id: string,
  timeoutMs: number,
  statuses: readonly InvoiceStatus[] = [],
): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/api/invoices/${id}`);
      last = response.status === 200 ? await response.json() : `${response.status} ${await response.text()}`;
      const body = last as StatusBody;
      if (response.status === 200 && (isFinal(body.status) || statuses.includes(body.status))) return body;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `run ${id} did not reach ${[...statuses, 'a final status'].join(' or ')} in ${timeoutMs} ms; last answer: ${JSON.stringify(last)}`,
  );
}

/** Waits until the mock LLM has at least `n` calls in flight: the fan-out is under way. */
export async function untilInFlight(llmUrl: string, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await mockLlm.metrics(llmUrl)).inFlight >= n) return;
    await sleep(25);
  }
  throw new Error(`the mock LLM never had ${n} calls in flight`);
}

/** POST /api/invoices/:id/approval. */
export const decide = (apiUrl: string, id: string, approved: boolean, note: string | null = null) =>
  postDecision(apiUrl, id, { approved, note });

/**
 * SIGKILLs every process of the stack but the mock LLM (it stands for the provider, outside the
 * stack), then starts them again in dependency order and waits until each is ready.
 */
export async function restartEveryProcess(handle: StackHandle): Promise<string[]> {
  const killed = handle.processes.filter((p) => p.kind !== 'tool').map((p) => p.name);
  await Promise.all(killed.map((name) => handle.kill(name, 'SIGKILL')));
  await handle.startMissing();
  return killed;
}

export type ApprovalAcrossRestart = {
  id: string;
  killed: string[];
  /** the status GET reported once every process was back; `lost`: the stack no longer knows the run */
  afterRestart: InvoiceStatus | 'lost';
  approvalStatus: number;
  /** absent when the run was lost */
  final?: StatusBody;
};

/**
 * Issue 16's durability check of the approval step: the total-mismatch sample waits in
 * awaiting_approval; every process is SIGKILLed and restarted during the wait; the approval
 * sent afterwards must still land, and the invoice complete with the decision on it.
 */
export async function approvalAcrossRestart(
  handle: StackHandle,
  timeoutMs = 180_000,
): Promise<ApprovalAcrossRestart> {
  const mismatch = SAMPLES.find((s) => s.name.includes('mismatch'))!;
  await mockLlm.neutral(handle.llmUrl);
  const id = await submit(handle.apiUrl, mismatch);
  const waiting = await until(handle.apiUrl, id, timeoutMs, ['awaiting_approval']);
  if (waiting.status !== 'awaiting_approval') {
    throw new Error(`the run never waited for approval: ${JSON.stringify(waiting)}`);
  }
  const killed = await restartEveryProcess(handle);
  // Every process is ready again, so a 404 now is an answer (the run is gone), not a restart.
  const known = await fetch(`${handle.apiUrl}/api/invoices/${id}`);
  if (known.status === 404) {
    const approval = await decide(handle.apiUrl, id, true, 'after restart');
    return { id, killed, afterRestart: 'lost', approvalStatus: approval.status };
  }
  const afterRestart = (await until(handle.apiUrl, id, timeoutMs, ['awaiting_approval'])).status;
  const approval = await decide(handle.apiUrl, id, true, 'after restart');
  const final = await until(handle.apiUrl, id, timeoutMs);
  return { id, killed, afterRestart, approvalStatus: approval.status, final };
}

export type OneOfTwoWorkers = {
  final: StatusBody;
  /** the invoice is byte for byte the golden one */
  golden: boolean;
  /** the mock LLM's calls in flight just after the kill (KILL_SETTLE_MS; it still serves the dead worker's) */
  inFlightAtKill: number;
  /** pages with an LLM call started by just after the kill: all the work the dead worker can have held */
  pagesCalledByKill: number;
  /**
   * pages extracted twice although their first call came after the kill: work the survivor
   * did twice on its own. A finished call whose result died with the worker is re-run at least
   * once (at-least-once), so duplicates are bounded by pages called by the kill, not by the
   * calls still in flight at it.
   */
  duplicatedAfterKill: string[];
  /** kill to the run's end */
  completedAfterKillMs: number;
  llmCalls: number;
  duplicates: number;
};

/** Loopback delivery of a request sent just before a SIGKILL takes far less; a loaded machine, more. */
const KILL_SETTLE_MS = 250;

/** The kill repeated only work begun before it: at most one repeat per page called by then. */
export const onlyKilledWorkRepeated = (r: Omit<OneOfTwoWorkers, 'final'>) =>
  r.duplicatedAfterKill.length === 0 && r.duplicates <= r.pagesCalledByKill;

/**
 * Issue 16's two-worker check: a 50-page invoice in its fan-out, one of the two workers that run
 * extract SIGKILLed (and left dead): the other must finish the run. Reports what it cost.
 */
export async function oneOfTwoWorkersKilled(
  handle: StackHandle,
  worker: string,
  timeoutMs = 180_000,
): Promise<OneOfTwoWorkers> {
  await mockLlm.neutral(handle.llmUrl);
  await mockLlm.configure(handle.llmUrl, { latency: { kind: 'fixed', ms: 300 } });
  try {
    const id = await submit(handle.apiUrl, sample(50));
    await untilInFlight(handle.llmUrl, 2);
    await handle.kill(worker, 'SIGKILL');
    const killedAt = Date.now();
    // Read a moment after the kill, so a call the dead worker sent just before it has reached
    // the mock; calls the survivor starts meanwhile only widen the bound.
    await sleep(KILL_SETTLE_MS);
    const atKill = await mockLlm.metrics(handle.llmUrl);
    const calledByKill = new Set(Object.keys(atKill.callsPerPage));
    const final = await until(handle.apiUrl, id, timeoutMs);
    const completedAfterKillMs = Date.now() - killedAt;
    const m = await mockLlm.metrics(handle.llmUrl);
    const golden =
      final.status === 'completed' &&
      serializeInvoice(final.invoice!) === (await readFile(sample(50).goldenPath, 'utf8'));
    return {
      final,
      golden,
      inFlightAtKill: atKill.inFlight,
      pagesCalledByKill: calledByKill.size,
      duplicatedAfterKill: Object.entries(m.successesPerPage)
        .filter(([page, n]) => n > 1 && !calledByKill.has(page))
        .map(([page]) => page),
      completedAfterKillMs,
      llmCalls: m.totalCalls,
      duplicates: m.duplicateSuccesses,
    };
  } finally {
    await mockLlm.neutral(handle.llmUrl);
  }
}
