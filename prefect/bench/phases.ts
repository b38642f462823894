/**
 * Where one invoice's time goes on Prefect, from the server's own timestamps and state history:
 * pickup (the POST -> the worker's Pending: its poll), start (Pending -> Running: spawning the
 * flow process, importing Prefect, the pull step, loading flow.py), the flow run itself
 * (Running -> end; minus the activities' own time, this is the engine's, at L = 0 mostly the
 * floor of a synchronous flow run) and the API's view (the run's end -> the client's 200).
 * Sequential 1-page invoices, L = 0 by default.
 * Prints a table and writes docs/results/prefect-phases.json.
 *
 *   pnpm --filter @invoice/prefect phases [--runs 10] [--pages 1] [--latency 0]
 */
import { parseArgs } from 'node:util';
import { invoiceOf, percentile, printTable, timeInvoice } from '@invoice/tools/bench/e2e';
import { provenance, writeResult } from '@invoice/tools/kit/results';
import { upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { prefectRest } from '../src/prefect-rest';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    pages: { type: 'string', default: '1' },
    latency: { type: 'string', default: '0' },
  },
});
const pages = Number(values.pages);
await invoiceOf(pages);
const stack = await upStack('prefect');
type Run = { id: string; start_time: string; end_time: string };
try {
  const rest = prefectRest(stack.env.PREFECT_API_URL!);
  await mockLlm.neutral(stack.llmUrl);
  await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: Number(values.latency) } });
  const samples: Array<Record<string, number>> = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const posted = Date.now();
    const { ms, ok, body } = await timeInvoice(stack.apiUrl, pages);
    if (!ok) throw new Error(`run ${i + 1}: not the golden invoice`);
    const [run] = await rest.post<Run[]>('/flow_runs/filter', { flow_runs: { name: { any_: [body.id] } } });
    const states = await rest.get<{ type: string; timestamp: string }[]>(
      `/flow_run_states/?flow_run_id=${run!.id}`,
    );
    const t = (s: string) => Date.parse(s);
    const pending = t(states.find((s) => s.type === 'PENDING')!.timestamp);
    const activitiesMs = body.timings!.splitMs + body.timings!.extractMs + body.timings!.aggregateMs;
    samples.push({
      e2eMs: Math.round(ms),
      pickupMs: pending - posted,
      startMs: t(run!.start_time) - pending,
      flowRunMs: t(run!.end_time) - t(run!.start_time),
      engineInFlowRunMs: t(run!.end_time) - t(run!.start_time) - activitiesMs,
      afterEndMs: Math.round(posted + ms - t(run!.end_time)),
    });
    console.log(`run ${i + 1}:`, JSON.stringify(samples.at(-1)));
  }
  const rows = Object.keys(samples[0]!).map((key) => {
    const values = samples.map((s) => s[key]!);
    return { phase: key, p50: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
  });
  console.log(`\nprefect: ${pages}-page invoices at L = ${values.latency} ms, one at a time (ms)`);
  printTable(rows);
  await writeResult('prefect-phases.json', {
    stack: 'prefect',
    ...provenance(),
    options: values,
    rows,
    samples,
  });
} finally {
  await stack.down();
}
