import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '@invoice/shared/blob/store';
import { errorResponse } from '@invoice/shared/contract/errors';
import { readPageText } from '@invoice/shared/llm/read-page';
import { Hono } from 'hono';
import { z } from 'zod';
import { type FailureKind, MockLlmConfig } from './config';
import { LlmMetrics } from './metrics';
import { sampleLatency, seededRandom } from './random';

const ExtractRequest = z.object({ pageKey: z.string().min(1), pageNumber: z.number().int().positive() });

/** Hangs end on their own after this long, so a forgotten client never pins the server. */
const HANG_LIMIT_MS = 10 * 60_000;

/** A counting semaphore with a FIFO queue: the provider's concurrency cap C. */
class Slots {
  private waiting: Array<() => void> = [];
  private used = 0;
  constructor(public limit: number) {}
  async acquire(onQueued: () => void): Promise<void> {
    if (this.limit === 0 || this.used < this.limit) {
      this.used++;
      return;
    }
    onQueued();
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}

/**
 * The mock LLM: reads the page's text layer through the blob store and parses it, as a model
 * would read the page. Latency, failures and the concurrency cap are configurable, seeded, and
 * changeable at run time (PUT /config) so benchmarks need no restart between settings.
 */
export function createMockLlm(initial: MockLlmConfig, blobs: BlobStore) {
  let config = initial;
  let random = seededRandom(config.seed);
  let metrics = new LlmMetrics();
  const slots = new Slots(config.concurrency);

  const decideFailure = (attempt: number): FailureKind | undefined => {
    const scripted = config.failures.script[attempt - 1];
    if (scripted) return scripted;
    const { rate429, rate500, rateHang } = config.failures;
    const r = random();
    if (r < rate429) return '429';
    if (r < rate429 + rate500) return '500';
    if (r < rate429 + rate500 + rateHang) return 'hang';
    return undefined;
  };

  const app = new Hono();

  app.post('/v1/extract', async (c) => {
    const parsed = ExtractRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return errorResponse(c, 400, 'bad_request', 'send {"pageKey": string, "pageNumber": int}');
    const { pageKey, pageNumber } = parsed.data;
    const m = metrics;
    m.totalCalls++;
    // A caller that goes away (a cancelled run aborting its fetch, a killed worker) is still
    // served, as a real provider still bills it; it is counted so a stack's abort shows.
    let answered = false;
    c.req.raw.signal.addEventListener('abort', () => answered || m.abandoned++, { once: true });
    const attempt = (m.callsPerPage[pageKey] ?? 0) + 1;
    m.callsPerPage[pageKey] = attempt;
    const failure = config.hangPages.includes(pageNumber) ? 'hang' : decideFailure(attempt);
    if (failure === '429') {
      answered = true;
      m.failures['429']++;
      c.header('Retry-After', String(config.failures.retryAfterSeconds));
      return errorResponse(c, 429, 'rate_limited', 'injected 429');
    }
    await slots.acquire(() => m.queued++);
    m.inFlight++;
    m.maxInFlight = Math.max(m.maxInFlight, m.inFlight);
    const servedFrom = performance.now();
    try {
      if (failure === 'hang') {
        m.failures.hang++;
        await sleep(HANG_LIMIT_MS, undefined, { signal: c.req.raw.signal }).catch(() => {});
        return errorResponse(c, 504, 'hung', 'injected hang');
      }
      await sleep(sampleLatency(config.latency, random));
      if (failure === '500') {
        m.failures['500']++;
        return errorResponse(c, 500, 'injected', 'injected 500');
      }
      const extraction = readPageText(await blobs.getText(pageKey), pageNumber);
      m.successesPerPage[pageKey] = (m.successesPerPage[pageKey] ?? 0) + 1;
      m.served(performance.now() - servedFrom);
      return c.json(extraction);
    } finally {
      answered = true;
      // The current metrics, not `m`: a reset during the call carried this call's count over.
      metrics.inFlight--;
      slots.release();
    }
  });

  app.get('/metrics', (c) => c.json(metrics.snapshot()));
  app.post('/metrics/reset', (c) => {
    const inFlight = metrics.inFlight;
    metrics = new LlmMetrics();
    metrics.inFlight = inFlight;
    return c.json({ ok: true });
  });
  app.get('/config', (c) => c.json(config));
  app.put('/config', async (c) => {
    const parsed = MockLlmConfig.safeParse({ ...config, ...(await c.req.json().catch(() => ({}))) });
    if (!parsed.success) return errorResponse(c, 400, 'bad_config', parsed.error.message);
    config = parsed.data;
    random = seededRandom(config.seed);
    slots.limit = config.concurrency;
    return c.json(config);
  });
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.onError((error, c) => errorResponse(c, 500, 'internal_error', error.message));

  return { app, metrics: () => metrics.snapshot(), config: () => config };
}
