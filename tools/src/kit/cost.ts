import { timeInvoice } from '../bench/e2e';
import type { StackHandle } from '../launcher/launcher';
import { mockLlm } from '../mock-llm/remote';
import { peakResourcesDuring, stackCpuMs } from './resources';
import { summarize } from './stats';

/**
 * CPU cost of `runs` sequential runs on a stack: CPU ms of all its processes (the mock LLM
 * excluded) before and after each run, so every run is one sample with its own interval, and
 * the peak RSS meanwhile. `runOnce` is any one unit of work (a real invoice, an engine-only
 * workflow) and says whether it came out right. Work the engine does after a run answered
 * (persisting completion, polling) lands in the next run's sample: it is cost too.
 */
export async function cpuPerRun(
  stack: StackHandle,
  runs: number,
  runOnce: () => Promise<boolean>,
  exclude: string[] = ['mock-llm'],
) {
  const samples: number[] = [];
  const perProcess: Record<string, number> = {};
  let errors = 0;
  const { peak } = await peakResourcesDuring(
    stack,
    (async () => {
      for (let i = 0; i < runs; i++) {
        const before = await stackCpuMs(stack, exclude);
        if (!(await runOnce())) errors++;
        const after = await stackCpuMs(stack, exclude);
        samples.push(after.totalMs - before.totalMs);
        for (const [name, ms] of Object.entries(after.perProcess))
          perProcess[name] = (perProcess[name] ?? 0) + ms - (before.perProcess[name] ?? 0);
      }
    })(),
    500,
  );
  return {
    runs,
    errors,
    cpuMs: summarize(samples),
    totalCpuMs: Math.round(samples.reduce((a, b) => a + b, 0)),
    perProcessCpuMs: Object.fromEntries(Object.entries(perProcess).map(([k, v]) => [k, Math.round(v)])),
    peakRssMiB: peak.rssMiB,
    samples,
  };
}

/** CPU-ms per invoice and per page of the real flow: sequential N-page invoices at L = 0. */
export async function cpuPerInvoice(stack: StackHandle, o: { invoices: number; pages: number }) {
  await mockLlm.neutral(stack.llmUrl);
  await timeInvoice(stack.apiUrl, o.pages); // warm-up, not counted
  const cost = await cpuPerRun(stack, o.invoices, async () => (await timeInvoice(stack.apiUrl, o.pages)).ok);
  return {
    ...cost,
    pages: o.pages,
    cpuMsPerInvoice: cost.cpuMs,
    cpuMsPerPage: summarize(cost.samples.map((ms) => ms / o.pages)),
  };
}
