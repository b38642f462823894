import jsonata from 'jsonata';
import type { StepHandler } from './worker';

/**
 * The built-in executors of the API doc. condition/transform evaluate JSONata: a pure expression
 * language with no access to the host, unlike the doc's JavaScript snippets.
 */

const compiled = new Map<string, ReturnType<typeof jsonata>>();
export async function evaluate(
  expression: string,
  data: unknown,
  bindings?: Record<string, unknown>,
): Promise<unknown> {
  let expr = compiled.get(expression);
  if (!expr) {
    expr = jsonata(expression);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(expression, expr);
  }
  return expr.evaluate(data, bindings);
}

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
  return { status: res.status, body };
}

export const builtinHandlers: Record<string, StepHandler> = {
  'http.request': (ctx) => {
    const p = ctx.params as {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
    };
    return send(p.url, { method: p.method ?? 'GET', headers: p.headers, body: p.body }, ctx);
  },
  webhook: (ctx) => {
    const p = ctx.params as { url: string; payload?: unknown; headers?: Record<string, string> };
    return send(
      p.url,
      {
        method: 'POST',
        headers: p.headers,
        body: { executionId: ctx.executionId, stepId: ctx.stepId, payload: p.payload ?? null },
      },
      ctx,
    );
  },
  // The wait itself happened in the store: a delay step only becomes due after its duration.
  delay: (ctx) => ({ waitedMs: ctx.params.duration }),
  condition: async (ctx) => {
    const result = await evaluate(String(ctx.params.expression), ctx.context, {
      item: ctx.item,
      index: ctx.index,
    });
    return { result: Boolean(result) };
  },
  transform: async (ctx) => {
    const key = ctx.params.inputKey;
    const data = typeof key === 'string' ? ctx.context[key] : ctx.context;
    return (
      (await evaluate(String(ctx.params.expression), data, {
        context: ctx.context,
        item: ctx.item,
        index: ctx.index,
      })) ?? null
    );
  },
};
