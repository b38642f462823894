import { readFile } from 'node:fs/promises';
import { serveApp } from '@invoice/shared/contract/serve';
import type { StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import type { Target } from '../bench/e2e';
import type { MockLlmConfig } from '../mock-llm/config';
import { mockLlm } from '../mock-llm/remote';

export type LoadOptions = {
  connections: number;
  /** seconds; ignored when amount is set */
  durationS: number;
  /** total requests; takes precedence over durationS */
  amount?: number;
  sample: string;
  llm?: Partial<MockLlmConfig>;
  progress?: boolean;
  /** per-request timeout in seconds (a ?wait=true request lasts as long as the invoice) */
  timeoutS?: number;
  /** the kit's own wall clock in ms (injectable so the rate can be tested without real time) */
  clock?: () => number;
};

/**
 * Rates over the kit's own clock: from just before the first request to the last response.
 * autocannon's `duration` is rounded up to its next 1 s tick, which made 12 invoices in 2.1 s
 * read as 4/s; this is the exact window.
 */
export function throughput(p: {
  startedAtMs: number;
  lastResponseAtMs: number;
  correct: number;
  pages: number;
}) {
  const wallMs = Math.max(p.lastResponseAtMs - p.startedAtMs, 1e-9);
  return {
    wallMs,
    invoicesPerSec: Math.round((p.correct / wallMs) * 1000 * 100) / 100,
    pagesPerSec: Math.round(((p.correct * p.pages) / wallMs) * 1000 * 100) / 100,
  };
}

export type LoadResult = Awaited<ReturnType<typeof runLoadTest>>;

/**
 * Drives POST /api/invoices?wait=true with autocannon and checks EVERY response against the
 * golden invoice: a wrong or missing invoice is an error, never a success.
 */
export async function runLoadTest(target: Target, options: LoadOptions) {
  const sample = SAMPLES.find((s) => s.name === options.sample);
  if (!sample)
    throw new Error(`unknown sample "${options.sample}"; known: ${SAMPLES.map((s) => s.name).join(', ')}`);
  const [pdf, golden] = await Promise.all([readFile(sample.pdfPath), readFile(sample.goldenPath, 'utf8')]);
  if (target.llmUrl) {
    await mockLlm.neutral(target.llmUrl);
    if (options.llm) await mockLlm.configure(target.llmUrl, options.llm);
  }
  const tally = { correct: 0, errors: {} as Record<string, number> };
  const countError = (kind: string) => {
    tally.errors[kind] = (tally.errors[kind] ?? 0) + 1;
  };
  const clock = options.clock ?? (() => performance.now());
  const startedAtMs = clock();
  let lastResponseAtMs = startedAtMs;
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: target.apiUrl,
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.durationS }),
        timeout: options.timeoutS ?? 600,
        requests: [
          {
            method: 'POST',
            path: '/api/invoices?wait=true',
            headers: { 'content-type': 'application/pdf' },
            body: pdf,
            onResponse: (status: number, body: string) => {
              lastResponseAtMs = clock();
              if (status !== 200) return countError(`http_${status}`);
              try {
                const parsed = JSON.parse(body) as StatusBody;
                if (parsed.invoice && serializeInvoice(parsed.invoice) === golden) tally.correct++;
                else countError('wrong_invoice');
              } catch {
                countError('unparseable_response');
              }
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  autocannon.track(instance, {
    renderProgressBar: options.progress ?? !!process.stderr.isTTY,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  if (!(options.progress ?? process.stderr.isTTY)) {
    // Without a terminal (CI, logs) print a line every 5 s instead of the progress bar.
    let last = 0;
    instance.on('response', () => {
      if (Date.now() - last > 5_000) {
        last = Date.now();
        console.error(
          `[load-test] ${target.name}: ${tally.correct} correct invoices, errors ${JSON.stringify(tally.errors)}`,
        );
      }
    });
  }
  const result = await finished;
  if (result.timeouts) tally.errors.timeout = (tally.errors.timeout ?? 0) + result.timeouts;
  if (result.errors - result.timeouts > 0) tally.errors.connection = result.errors - result.timeouts;
  const metrics = target.llmUrl ? await mockLlm.metrics(target.llmUrl) : undefined;
  const errorCount = Object.values(tally.errors).reduce((a, b) => a + b, 0);
  const rate = throughput({ startedAtMs, lastResponseAtMs, correct: tally.correct, pages: sample.pages });
  return {
    stack: target.name,
    options,
    sample: { name: sample.name, pages: sample.pages },
    /** the kit's own window, first request to last response; autocannon's rounded duration is not used */
    wallMs: Math.round(rate.wallMs),
    requests: tally.correct + errorCount,
    correct: tally.correct,
    errors: tally.errors,
    errorCount,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: result.latency.average,
      max: result.latency.max,
    },
    invoicesPerSec: rate.invoicesPerSec,
    pagesPerSec: rate.pagesPerSec,
    llm: metrics && {
      totalCalls: metrics.totalCalls,
      maxInFlight: metrics.maxInFlight,
      duplicateSuccesses: metrics.duplicateSuccesses,
      failures: metrics.failures,
    },
  };
}

/**
 * The kit's own cost: the same autocannon setup and the same golden check against an in-process
 * handler that answers the golden invoice at once. Its p50 is what the kit adds to every number.
 */
export async function measureKitOverhead(sampleName: string, connections: number, durationS = 3) {
  const sample = SAMPLES.find((s) => s.name === sampleName)!;
  const golden = JSON.parse(await readFile(sample.goldenPath, 'utf8'));
  const body = JSON.stringify({ id: 'noop', status: 'completed', invoice: golden, timings: {} });
  const app = new Hono().post('/api/invoices', async (c) => {
    await c.req.arrayBuffer();
    return c.body(body, 200, { 'content-type': 'application/json' });
  });
  const served = await serveApp(app);
  try {
    const result = await runLoadTest(
      { name: 'no-op', apiUrl: served.url, llmUrl: '' },
      { connections, durationS, sample: sampleName, progress: false },
    );
    // autocannon's histogram counts whole milliseconds, too coarse for a no-op; with closed-loop
    // connections, connections × duration / requests is the mean time one request took.
    return {
      noopMeanMs: Math.round(((connections * result.wallMs) / Math.max(result.requests, 1)) * 1000) / 1000,
      noopP99Ms: result.latencyMs.p99,
      requests: result.requests,
      errors: result.errorCount,
    };
  } finally {
    await served.close();
  }
}
