import type { Behaviours, HealthBody } from '@invoice/shared/contract/types';
import { type CancelMidFanout, cancelMidFanout } from '@invoice/shared/testing/scenarios';
import { invoiceOf, timeInvoice } from '../bench/e2e';
import { type StackHandle, upStack } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';
import {
  approvalAcrossRestart,
  type OneOfTwoWorkers,
  oneOfTwoWorkersKilled,
  onlyKilledWorkRepeated,
} from '../testing/fault-scenarios';
import { capSettings, isStandIn } from './bench-settings';
import { closedLoop, overlapRate, stepStats } from './closed-loop';
import { DEFAULT_SATURATION } from './saturation';
import { compareIntervals, type Summary, summarize, type Verdict } from './stats';

/**
 * Issue 16's measurements, per stack: what a cancel still costs, whether an approval survives a
 * SIGKILL of every process, what one of two extract workers dying costs, and the throughput of
 * one vs two extract workers on the saturation setting. The checks are the ones the suite
 * asserts (shared/src/testing/scenarios.ts, tools/src/testing/fault-scenarios.ts); here they
 * are recorded, pass or fail, with their numbers.
 */

export type ProductionOptions = {
  /** rounds of the 1-vs-2-worker throughput comparison, interleaved ABBA */
  rounds: number;
  clients: number;
  stepSeconds: number;
  warmupSeconds: number;
  timeoutMs: number;
};

export const DEFAULT_PRODUCTION: ProductionOptions = {
  rounds: 3,
  clients: 8,
  stepSeconds: 12,
  warmupSeconds: 3,
  timeoutMs: 240_000,
};

/** Prefect runs one 10-page invoice in about 6 s: a 12 s step would count almost nothing. */
export const stepSecondsFor = (stack: string, o: ProductionOptions) =>
  stack === 'prefect' ? Math.max(o.stepSeconds, 30) : o.stepSeconds;

export type Check<T> = { pass: boolean; error?: string } & Partial<T>;

export type KillCheck = Check<Omit<OneOfTwoWorkers, 'final'> & { finalStatus: string; killed: string }>;

/** A failed kill first, else the one that took longer from the kill to the run's end. */
export function costliestKill(kills: KillCheck[]): KillCheck | undefined {
  return [...kills].sort(
    (a, b) =>
      Number(a.pass) - Number(b.pass) || (b.completedAfterKillMs ?? 0) - (a.completedAfterKillMs ?? 0),
  )[0];
}

export type ThroughputRound = {
  workers: 1 | 2;
  /** correct invoices per second by their time inside the window (closed-loop.ts overlapRate) */
  perSec: number;
  /** completions inside the window per second: quantized when an invoice takes about the window */
  completedPerSec?: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
};

export type ProductionResult = {
  stack: string;
  standIn: boolean;
  behaviours: Behaviours;
  orchestrationFile?: string;
  /** the extract processes of the two-worker instance ([] when the stack cannot run two) */
  extractWorkers: string[];
  cancel: Check<CancelMidFanout>;
  approvalRestart: Check<{ killed: string[]; afterRestart: string; finalStatus: string; decidedBy: string }>;
  /** the costlier of the two kills (any failure first, then the longer kill → end) */
  twoWorkersKill?: KillCheck;
  /** each of the two extract workers killed in turn */
  twoWorkersKills?: KillCheck[];
  throughput?: {
    clients: number;
    stepSeconds: number;
    pages: number;
    llm: string;
    rounds: ThroughputRound[];
    oneWorker: Summary;
    twoWorkers: Summary;
    /** two workers vs one: lower/higher/tie (intervals overlap) */
    verdict: Verdict;
  };
  options: ProductionOptions;
};

async function checked<T>(label: string, run: () => Promise<T & { pass: boolean }>): Promise<Check<T>> {
  try {
    return (await run()) as Check<T>;
  } catch (error) {
    console.error(`[production] ${label} failed: ${(error as Error).message}`);
    return { pass: false, error: (error as Error).message.slice(0, 300) } as Check<T>;
  }
}

async function behavioursOf(apiUrl: string): Promise<Behaviours> {
  const body = (await (await fetch(`${apiUrl}/healthz`)).json()) as HealthBody;
  return body.behaviours ?? {};
}

/** One closed-loop step of the real flow on the saturation setting; invoices/s over its window. */
async function throughputStep(h: StackHandle, workers: 1 | 2, o: ProductionOptions, stepSeconds: number) {
  await mockLlm.configure(h.llmUrl, {
    latency: DEFAULT_SATURATION.llmLatency,
    concurrency: DEFAULT_SATURATION.llmConcurrency,
  });
  const run = await closedLoop({
    clients: o.clients,
    warmupMs: o.warmupSeconds * 1000,
    durationMs: stepSeconds * 1000,
    request: async () => {
      const r = await timeInvoice(h.apiUrl, DEFAULT_SATURATION.pages);
      return r.ok ? { ok: true } : { ok: false, error: `http_${r.status}` };
    },
  });
  const s = stepStats(run.records, run.window);
  const round: ThroughputRound = {
    workers,
    perSec: overlapRate(run.records, run.window),
    completedPerSec: s.perSec,
    p50Ms: s.latencyMs.p50,
    p99Ms: s.latencyMs.p99,
    errors: s.errors,
  };
  console.error(
    `[production]   ${workers} worker(s): ${round.perSec} invoices/s, p50 ${round.p50Ms} ms, ${round.errors} errors`,
  );
  return round;
}

export async function runProductionBench(stack: string, o: ProductionOptions = DEFAULT_PRODUCTION) {
  const up = (workers: number) =>
    upStack(stack, { settings: { ...capSettings(stack), workers: String(workers) } });
  console.error(`[production] ${stack}: starting the one-worker instance`);
  const one = await up(1);
  let two: StackHandle | undefined;
  try {
    const behaviours = await behavioursOf(one.apiUrl);
    console.error(`[production] ${stack}: cancel mid fan-out`);
    const cancel = await checked('cancel', async () => {
      const r = await cancelMidFanout(one.apiUrl, one.llmUrl, o.timeoutMs);
      return { ...r, pass: r.cancelStatus === 202 && r.settledStatus === 'cancelled' };
    });
    console.error(`[production] ${stack}: approval across a SIGKILL of every process`);
    const approvalRestart = await checked('approval across restart', async () => {
      const r = await approvalAcrossRestart(one, o.timeoutMs);
      const pass =
        r.afterRestart === 'awaiting_approval' &&
        r.approvalStatus === 202 &&
        r.final?.status === 'completed' &&
        r.final.invoice?.approval?.approved === true;
      return {
        pass,
        killed: r.killed,
        afterRestart: r.afterRestart,
        finalStatus: r.final?.status ?? 'lost',
        decidedBy: r.final?.invoice?.approval?.decidedBy ?? '-',
      };
    });
    await mockLlm.neutral(one.llmUrl);
    const result: ProductionResult = {
      stack,
      standIn: isStandIn(stack),
      behaviours,
      orchestrationFile: one.topology.orchestrationFile,
      extractWorkers: [],
      cancel,
      approvalRestart,
      options: o,
    };
    if (stack === 'reference') return result;

    console.error(`[production] ${stack}: starting the two-worker instance`);
    two = await up(2);
    result.extractWorkers = two.topology.extractWorkers ?? [];
    if (result.extractWorkers.length < 2) {
      console.error(
        `[production] ${stack}: no second extract worker (${behaviours.workers ?? 'not declared'})`,
      );
      return result;
    }
    await invoiceOf(DEFAULT_SATURATION.pages);
    for (const h of [one, two]) await timeInvoice(h.apiUrl, DEFAULT_SATURATION.pages);
    const stepSeconds = stepSecondsFor(stack, o);
    const rounds: ThroughputRound[] = [];
    for (let r = 0; r < o.rounds; r++) {
      // ABBA: neither worker count always runs first, on a machine that warms or drifts.
      const order: Array<[1 | 2, StackHandle]> = [
        [1, one],
        [2, two],
      ];
      if (r % 2 === 1) order.reverse();
      for (const [workers, h] of order) {
        console.error(`[production] ${stack}: throughput round ${r + 1}/${o.rounds}, ${workers} worker(s)`);
        rounds.push(await throughputStep(h, workers, o, stepSeconds));
      }
    }
    for (const h of [one, two]) await mockLlm.neutral(h.llmUrl);
    const oneWorker = summarize(
      rounds.filter((x) => x.workers === 1).map((x) => x.perSec),
      3,
    );
    const twoWorkers = summarize(
      rounds.filter((x) => x.workers === 2).map((x) => x.perSec),
      3,
    );
    result.throughput = {
      clients: o.clients,
      stepSeconds,
      pages: DEFAULT_SATURATION.pages,
      llm: `lognormal ${DEFAULT_SATURATION.llmLatency.kind === 'lognormal' ? DEFAULT_SATURATION.llmLatency.medianMs : '?'} ms, C=${DEFAULT_SATURATION.llmConcurrency}`,
      rounds,
      oneWorker,
      twoWorkers,
      verdict: compareIntervals(twoWorkers, oneWorker),
    };
    // Which worker holds the fan-out is the engine's business (a greedy claim may give one
    // worker all 50 pages), so each of the two is killed in turn, restarted in between; the
    // table shows the costlier kill, the JSON both.
    const kills: KillCheck[] = [];
    for (const killed of result.extractWorkers.slice(0, 2)) {
      console.error(`[production] ${stack}: SIGKILL ${killed}, one of two extract workers, mid fan-out`);
      kills.push(
        await checked('two workers, one killed', async () => {
          const { final, ...r } = await oneOfTwoWorkersKilled(two!, killed, o.timeoutMs);
          return { ...r, finalStatus: final.status, killed, pass: r.golden && onlyKilledWorkRepeated(r) };
        }),
      );
      await two.restart(killed);
    }
    result.twoWorkersKills = kills;
    result.twoWorkersKill = costliestKill(kills);
    return result;
  } finally {
    await Promise.all([one.down(), two?.down()]);
  }
}
