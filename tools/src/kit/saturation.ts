import type { Target } from '../bench/e2e';
import { invoiceOf, timeInvoice } from '../bench/e2e';
import type { LatencyModel } from '../mock-llm/config';
import { mockLlm } from '../mock-llm/remote';
import {
  type Clock,
  closedLoop,
  findKnee,
  pastKnee,
  type RequestOutcome,
  type StepStats,
  stepStats,
} from './closed-loop';
import { type XySeries, xyChart } from './svg';

export type RampOptions = {
  /** concurrent clients per step, in order */
  clients: number[];
  /** counted part of each step */
  stepSeconds: number;
  /** uncounted start of each step, so the step is measured in its steady state */
  warmupSeconds: number;
  /** stop after the first step past the knee (closed-loop.ts pastKnee); the skipped steps are listed */
  stopPastKnee?: boolean;
};

export type RampStep = StepStats & { clients: number; unitsPerSec: number; maxLlmInFlight?: number };

/**
 * A closed-loop ramp: for each client count, run the step, drain it, report it. `units` is what
 * one request stands for besides itself (pages of an invoice, activities of a workflow).
 */
export async function runRamp(o: {
  label: string;
  ramp: RampOptions;
  request: () => Promise<RequestOutcome>;
  unitsPerRequest: number;
  llmUrl?: string;
  clock?: Clock;
}) {
  const steps: RampStep[] = [];
  const skipped: number[] = [];
  for (const [i, clients] of o.ramp.clients.entries()) {
    console.error(
      `[${o.label}] step ${i + 1}/${o.ramp.clients.length}: ${clients} client(s), ${o.ramp.warmupSeconds} s warm-up + ${o.ramp.stepSeconds} s`,
    );
    if (o.llmUrl) await mockLlm.reset(o.llmUrl);
    let lastLine = performance.now();
    const run = await closedLoop({
      clients,
      warmupMs: o.ramp.warmupSeconds * 1000,
      durationMs: o.ramp.stepSeconds * 1000,
      request: o.request,
      clock: o.clock,
      onResponse: (_, all) => {
        if (performance.now() - lastLine < 5_000) return;
        lastLine = performance.now();
        const failed = all.filter((r) => !r.ok).length;
        console.error(`[${o.label}]   ${all.length - failed} done, ${failed} failed so far`);
      },
    });
    const stats = stepStats(run.records, run.window);
    const llm = o.llmUrl ? await mockLlm.metrics(o.llmUrl) : undefined;
    const step: RampStep = {
      clients,
      ...stats,
      unitsPerSec: Math.round(stats.perSec * o.unitsPerRequest * 100) / 100,
      ...(llm && { maxLlmInFlight: llm.maxInFlight }),
    };
    steps.push(step);
    console.error(
      `[${o.label}]   ${step.perSec}/s (${step.perSecBuckets.min}–${step.perSecBuckets.max}), p50 ${step.latencyMs.p50} ms, p99 ${step.latencyMs.p99} ms (n=${step.latencyMs.n}), ${step.errors} errors`,
    );
    const rest = o.ramp.clients.slice(i + 1);
    if (o.ramp.stopPastKnee && rest.length && pastKnee(steps.map((s) => ({ ...s, p99: s.latencyMs.p99 })))) {
      skipped.push(...rest);
      console.error(`[${o.label}]   past the knee: steps of ${rest.join(', ')} clients skipped`);
      break;
    }
  }
  const knee = findKnee(steps.map((s) => ({ ...s, p99: s.latencyMs.p99 })));
  return {
    steps,
    skipped,
    knee: knee && {
      clients: knee.step.clients,
      perSec: knee.step.perSec,
      unitsPerSec: knee.step.unitsPerSec,
      p99: knee.step.p99,
      unloadedP99: knee.unloadedP99,
      p99Limit: knee.p99Limit,
      factor: knee.factor,
    },
  };
}

export type SaturationOptions = RampOptions & {
  /** pages of the generated invoice every client posts */
  pages: number;
  llmLatency: LatencyModel;
  /** the mock LLM's cap C on concurrent calls (a model deployment's rate limit) */
  llmConcurrency: number;
};

export const DEFAULT_SATURATION: SaturationOptions = {
  clients: [1, 2, 4, 8, 16, 32, 64],
  stepSeconds: 30,
  warmupSeconds: 5,
  pages: 10,
  llmLatency: { kind: 'lognormal', medianMs: 800, sigma: 0.5 },
  llmConcurrency: 32,
};

/**
 * Saturation throughput of the real flow: a closed-loop ramp of clients posting the same
 * N-page invoice (?wait=true, every answer checked against its golden invoice) under a
 * realistic LLM. Invoices/s and pages/s per step, p50/p99, and the knee.
 */
export async function runSaturation(target: Target, options: SaturationOptions, clock?: Clock) {
  await invoiceOf(options.pages); // generated before the first request (it blocks the event loop)
  await mockLlm.neutral(target.llmUrl);
  await mockLlm.configure(target.llmUrl, {
    latency: options.llmLatency,
    concurrency: options.llmConcurrency,
  });
  // First-run costs (JIT, the renderer's fonts, connections) would otherwise land in the first step.
  await timeInvoice(target.apiUrl, options.pages);
  const { steps, skipped, knee } = await runRamp({
    label: `saturation ${target.name}`,
    ramp: options,
    unitsPerRequest: options.pages,
    llmUrl: target.llmUrl,
    clock,
    request: async () => {
      const run = await timeInvoice(target.apiUrl, options.pages);
      return run.ok
        ? { ok: true }
        : { ok: false, error: run.status === 200 ? 'wrong_invoice' : `http_${run.status}` };
    },
  });
  return {
    stack: target.name,
    options,
    steps: steps.map(({ perSec, unitsPerSec, ...rest }) => ({
      ...rest,
      invoicesPerSec: perSec,
      pagesPerSec: unitsPerSec,
    })),
    /** client counts not run: the ramp stopped past the knee */
    skipped,
    knee: knee && {
      clients: knee.clients,
      invoicesPerSec: knee.perSec,
      pagesPerSec: knee.unitsPerSec,
      p99: knee.p99,
      unloadedP99: knee.unloadedP99,
      p99Limit: knee.p99Limit,
    },
  };
}
export type SaturationResult = Awaited<ReturnType<typeof runSaturation>>;

/** Throughput against p99, one line per stack, each point one step of its ramp. */
export function saturationChart(results: SaturationResult[]): string {
  const series: XySeries[] = results.map((r) => ({
    name: r.stack,
    points: r.steps.map((s) => [s.invoicesPerSec, s.latencyMs.p99 / 1000] as [number, number]),
    labels: r.steps.map((s) => `${s.clients}`),
  }));
  return xyChart({
    title: 'Saturation: throughput against p99 (labels: concurrent clients)',
    xLabel: 'invoices/s',
    yLabel: 'p99 latency (s)',
    series,
  });
}
