import { setTimeout as sleep } from 'node:timers/promises';
import type { AcceptedBody, StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { invoiceOf } from '../bench/e2e';
import type { StackHandle } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';

export type KillReport = {
  process: string;
  kind: string;
  completedCorrectly: boolean;
  outcome: 'golden' | 'wrong_invoice' | 'failed' | 'lost' | 'timeout' | 'error';
  /** what went wrong when the kill could not even be measured */
  error?: string;
  /** SIGKILL until the process was ready again */
  restartMs: number;
  /** SIGKILL until the invoice completed (includes the rest of the fan-out) */
  completedAfterKillMs: number | null;
  pagesInFlightAtKill: number;
  /** extractions done more than once (the mock LLM's successes beyond the first per page) */
  duplicateActivityRuns: number;
  llmCalls: number;
};

const log = (line: string) => console.error(`[chaos] ${line}`);

async function submit(apiUrl: string, pages: number): Promise<string> {
  const { pdf } = await invoiceOf(pages);
  const response = await fetch(`${apiUrl}/api/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: Buffer.from(pdf),
    signal: AbortSignal.timeout(60_000),
  });
  if (response.status !== 202) throw new Error(`POST answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as AcceptedBody).id;
}

/** Polls until completed/failed, 404 (lost) or the deadline; connection errors (process down) are retried. */
async function settle(
  apiUrl: string,
  id: string,
  deadline: number,
): Promise<{ outcome: 'completed' | 'failed' | 'lost' | 'timeout'; body?: StatusBody }> {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/api/invoices/${id}`, { signal: AbortSignal.timeout(10_000) });
      if (response.status === 404) return { outcome: 'lost' };
      if (response.ok) {
        const body = (await response.json()) as StatusBody;
        if (body.status === 'completed' || body.status === 'failed') return { outcome: body.status, body };
      }
    } catch {
      // the API process may be the one we killed; keep asking until it is back
    }
    await sleep(200);
  }
  return { outcome: 'timeout' };
}

/** SIGKILLs one process while a fan-out is in flight, restarts it, and checks the invoice. */
export async function killDuringFanout(
  stack: StackHandle,
  processName: string,
  options: { pages: number; latencyMs: number; timeoutMs: number },
): Promise<KillReport> {
  const spec = stack.processes.find((p) => p.name === processName)!;
  return faultDuringFanout(stack, processName, spec.kind ?? 'process', options, async () => {
    log(`${stack.stack}: SIGKILL ${processName}`);
    await stack.kill(processName, 'SIGKILL');
    await sleep(300);
    await stack.restart(processName);
  });
}

/**
 * Signals every process of one kind at once mid fan-out (e.g. every daprd sidecar) and leaves
 * them to the launcher's supervision, as a crash would: nobody calls restart. SIGKILL is a crash
 * of all of them; SIGHUP is what daprd receives when its resources change, and makes it restart
 * its runtime in-process (a failing runtime restart exits the process, and supervision brings
 * it back). The invoice must still come back golden.
 */
export async function crashAllDuringFanout(
  stack: StackHandle,
  kind: NonNullable<StackHandle['processes'][number]['kind']>,
  signal: NodeJS.Signals,
  options: { pages: number; latencyMs: number; timeoutMs: number },
): Promise<KillReport> {
  const victims = stack.processes.filter((p) => p.kind === kind).map((p) => p.name);
  if (victims.length === 0) throw new Error(`${stack.stack} has no ${kind} process`);
  return faultDuringFanout(stack, `every ${kind} (${signal})`, kind, options, async () => {
    log(`${stack.stack}: ${signal} to ${victims.join(', ')} at once, left to the supervisor`);
    await Promise.all(victims.map((name) => stack.crash(name, signal)));
    await Promise.all(victims.map((name) => stack.whenReady(name, options.timeoutMs)));
  });
}

/** Submits an invoice, runs `inject` once the fan-out is well under way, and checks the result. */
async function faultDuringFanout(
  stack: StackHandle,
  label: string,
  kind: string,
  options: { pages: number; latencyMs: number; timeoutMs: number },
  inject: () => Promise<void>,
): Promise<KillReport> {
  await mockLlm.neutral(stack.llmUrl);
  await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: options.latencyMs } });
  const { golden } = await invoiceOf(options.pages);
  const id = await submit(stack.apiUrl, options.pages);
  const deadline = Date.now() + options.timeoutMs;
  // Kill once the fan-out is well under way: some engines dispatch pages one by one, so the
  // first call in flight is not yet "mid fan-out". Wait for min(N, 10) calls, or 3 s after the first.
  const wanted = Math.min(options.pages, 10);
  let inFlight = 0;
  let firstSeen = 0;
  while (Date.now() < deadline) {
    inFlight = (await mockLlm.metrics(stack.llmUrl)).inFlight;
    if (inFlight > 0) firstSeen ||= Date.now();
    if (inFlight >= wanted || (firstSeen && Date.now() - firstSeen > 3_000)) break;
    await sleep(20);
  }
  log(`${stack.stack}: ${label} with ${inFlight} extractions in flight`);
  const killedAt = Date.now();
  await inject();
  const restartMs = Date.now() - killedAt;
  const settled = await settle(stack.apiUrl, id, deadline);
  const completedAfterKillMs = settled.outcome === 'completed' ? Date.now() - killedAt : null;
  const metrics = await mockLlm.metrics(stack.llmUrl);
  const outcome =
    settled.outcome === 'completed'
      ? serializeInvoice(settled.body!.invoice!) === golden
        ? 'golden'
        : 'wrong_invoice'
      : settled.outcome;
  log(
    `${stack.stack}: ${label} -> ${outcome}, restart ${restartMs} ms, ${metrics.duplicateSuccesses} duplicate extractions`,
  );
  return {
    process: label,
    kind,
    completedCorrectly: outcome === 'golden',
    outcome,
    restartMs,
    completedAfterKillMs,
    pagesInFlightAtKill: inFlight,
    duplicateActivityRuns: metrics.duplicateSuccesses,
    llmCalls: metrics.totalCalls,
  };
}

/** Many invoices at once under injected 500s and 429s: every one must come back golden. */
export async function concurrentUnderFailures(
  stack: StackHandle,
  options: { invoices: number; pages: number; rate500: number; rate429: number; timeoutMs: number },
) {
  await mockLlm.neutral(stack.llmUrl);
  await mockLlm.configure(stack.llmUrl, {
    latency: { kind: 'uniform', minMs: 20, maxMs: 80 },
    failures: {
      rate429: options.rate429,
      rate500: options.rate500,
      rateHang: 0,
      retryAfterSeconds: 0.1,
      script: [],
    },
  });
  const { golden } = await invoiceOf(options.pages);
  const began = Date.now();
  const ids = await Promise.all(
    Array.from({ length: options.invoices }, () => submit(stack.apiUrl, options.pages)),
  );
  log(`${stack.stack}: ${ids.length} invoices accepted; waiting for all of them`);
  const deadline = Date.now() + options.timeoutMs;
  const outcomes = await Promise.all(ids.map((id) => settle(stack.apiUrl, id, deadline)));
  const metrics = await mockLlm.metrics(stack.llmUrl);
  const count = (predicate: (o: (typeof outcomes)[number]) => boolean) => outcomes.filter(predicate).length;
  const correct = count((o) => o.outcome === 'completed' && serializeInvoice(o.body!.invoice!) === golden);
  const result = {
    invoices: options.invoices,
    pages: options.pages,
    injected: { rate500: options.rate500, rate429: options.rate429, ...metrics.failures },
    correct,
    incorrect: count((o) => o.outcome === 'completed') - correct,
    failed: count((o) => o.outcome === 'failed'),
    lost: count((o) => o.outcome === 'lost' || o.outcome === 'timeout'),
    llmCalls: metrics.totalCalls,
    duplicateActivityRuns: metrics.duplicateSuccesses,
    wallMs: Date.now() - began,
  };
  log(
    `${stack.stack}: ${result.correct}/${result.invoices} golden, ${result.lost} lost, ${result.incorrect} incorrect, ${result.failed} failed`,
  );
  return result;
}

export type ChaosOptions = {
  pages: number;
  latencyMs: number;
  timeoutMs: number;
  invoices: number;
  concurrentPages: number;
  rate500: number;
  rate429: number;
  /** only these processes (default: every killable one); `sidecars` = every sidecar at once */
  only?: string[];
};

/** A fault whose injection itself failed: reported, never counted as a success. */
const unmeasured =
  (process: string, kind: string) =>
  (error: Error): KillReport => ({
    process,
    kind,
    completedCorrectly: false,
    outcome: 'error',
    error: error.message,
    restartMs: 0,
    completedAfterKillMs: null,
    pagesInFlightAtKill: 0,
    duplicateActivityRuns: 0,
    llmCalls: 0,
  });

export async function runChaos(stack: StackHandle, options: ChaosOptions) {
  const killable = stack.processes.filter(
    (p) => p.killable && (!options.only || options.only.includes(p.name)),
  );
  const kills: KillReport[] = [];
  const healIfWedged = async (report: KillReport) => {
    if (!report.completedCorrectly && report.outcome !== 'lost') {
      // The stack may be wedged; restart every process so the next kill is measured on a healthy stack.
      log(`${stack.stack}: restarting every process after ${report.process} (${report.outcome})`);
      for (const q of stack.processes) await stack.restart(q.name);
    }
  };
  for (const p of killable) {
    const report = await killDuringFanout(stack, p.name, options).catch(
      unmeasured(p.name, p.kind ?? 'process'),
    );
    kills.push(report);
    await healIfWedged(report);
  }
  // Every sidecar at once, nobody restarting them by hand: the launcher's supervision must.
  const sidecars = stack.processes.filter((p) => p.kind === 'sidecar' && p.killable);
  if (sidecars.length > 1 && (!options.only || options.only.includes('sidecars'))) {
    const report = await crashAllDuringFanout(stack, 'sidecar', 'SIGKILL', options).catch(
      unmeasured('every sidecar (SIGKILL)', 'sidecar'),
    );
    kills.push(report);
    await healIfWedged(report);
  }
  const concurrent =
    options.invoices > 0
      ? await concurrentUnderFailures(stack, {
          ...options,
          invoices: options.invoices,
          pages: options.concurrentPages,
        })
      : undefined;
  return { stack: stack.stack, options, kills, concurrent };
}
