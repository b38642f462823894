import { evaluate } from './expression';
import { type PlaceholderState, resolveHeaders, resolveMs, resolveUrl, resolveValue } from './placeholders';
import { evaluateCondition, runTransform } from './sandbox';
import { type EventWake, StepResult, Suspension } from './types';
import type { StepHandler } from './worker';

/**
 * The built-in executors of the API doc. `transform` code and `condition` expressions are
 * JavaScript run in the QuickJS sandbox (sandbox.ts); `transform` also takes JSONata.
 */

/** Thrown to fail a step without retrying (a 4xx answer, a bad expression). */
export class NonRetryableError extends Error {
  readonly retryable = false;
}

async function send(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: unknown },
  ctx: Parameters<StepHandler>[0],
) {
  const hasBody = init.body !== undefined && init.method !== 'GET';
  const res = await fetch(url, {
    method: init.method,
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      // Receivers de-duplicate on this: it is the same for every attempt of the step.
      'idempotency-key': ctx.idempotencyKey,
      ...init.headers,
    },
    body: hasBody ? JSON.stringify(init.body) : undefined,
    signal: ctx.signal,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  if (!res.ok) {
    const message = `${init.method} ${url} answered ${res.status}`;
    // 408/429/5xx are worth another attempt; other 4xx will answer the same again.
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(message);
    throw new NonRetryableError(message);
  }
  // The result is the response body, as the API doc shows it; status and headers sit beside it.
  return new StepResult(body, { response: { status: res.status, headers: Object.fromEntries(res.headers) } });
}

const state = (ctx: Parameters<StepHandler>[0]): PlaceholderState => ({
  context: ctx.context,
  results: ctx.results,
});

/** A POST/PUT/PATCH without `body` sends the step's view of the context: the input plus its dependencies' results. */
const defaultBody = (ctx: Parameters<StepHandler>[0]) => ({
  ...ctx.input,
  ...Object.fromEntries(ctx.dependencies.map((id) => [id, ctx.results[id] ?? null])),
});

export const builtinHandlers: Record<string, StepHandler> = {
  'http.request': (ctx) => {
    const p = ctx.params as {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
    };
    const method = p.method ?? 'GET';
    const body =
      p.body !== undefined
        ? resolveValue(p.body, state(ctx))
        : ['POST', 'PUT', 'PATCH'].includes(method)
          ? defaultBody(ctx)
          : undefined;
    return send(
      resolveUrl(p.url, state(ctx)),
      { method, headers: resolveHeaders(p.headers, state(ctx)), body },
      ctx,
    );
  },
  webhook: (ctx) => {
    const p = ctx.params as { url: string; payload?: unknown; headers?: Record<string, string> };
    return send(
      resolveUrl(p.url, state(ctx)),
      {
        method: 'POST',
        headers: resolveHeaders(p.headers, state(ctx)),
        body: {
          executionId: ctx.executionId,
          stepId: ctx.stepId,
          payload: p.payload === undefined ? null : resolveValue(p.payload, state(ctx)),
        },
      },
      ctx,
    );
  },
  // The wait itself happened in the store: a delay step only becomes due after its duration.
  delay: (ctx) => ({ waitedMs: ctx.params.duration }),
  /**
   * First attempt: suspend (the store keeps the step with no lease until its timer is due).
   * The attempt after: the event the store put on the row, or the timer's `timedOut`.
   */
  event: (ctx) => {
    const name = String(ctx.params.name);
    const wake = ctx.wake as EventWake | undefined;
    if (wake && 'delivered' in wake) return { event: name, payload: wake.payload ?? null, timedOut: false };
    if (wake) return { event: name, payload: null, timedOut: true };
    return new Suspension(name, resolveMs(ctx.params.timeout, state(ctx)));
  },
  noop: () => null,
  condition: async (ctx) => ({
    result: await evaluateCondition(String(ctx.params.expression), ctx.context),
  }),
  transform: async (ctx) => {
    const key = ctx.params.inputKey;
    if (typeof key === 'string' && !Object.hasOwn(ctx.context, key))
      throw new NonRetryableError(`inputKey '${key}' names no finished step or context key`);
    const data = typeof key === 'string' ? ctx.context[key] : ctx.context;
    if (typeof ctx.params.code === 'string') return runTransform(ctx.params.code, data);
    return (
      (await evaluate(String(ctx.params.expression), data, {
        context: ctx.context,
        item: ctx.item,
        index: ctx.index,
      })) ?? null
    );
  },
};
