import { errorResponse } from '@invoice/shared/contract/errors';
import { serveApp } from '@invoice/shared/contract/serve';
import { activitiesFromEnv } from '@invoice/shared/flow/activities';
import { LlmCallError } from '@invoice/shared/llm/client';
import { WorkBudgetError } from '@invoice/shared/pdf/budget';
import { Hono } from 'hono';
import { ACTIVITY_NAMES, type ActivityName } from './config';

/**
 * One activity service (SERVICE=split|extract|aggregate): a plain HTTP server that its own
 * daprd sidecar fronts. Nothing here is Dapr-specific, which is the point: any process that
 * answers POST /<activity> could replace it, in any language.
 */
const name = process.env.SERVICE as ActivityName;
if (!ACTIVITY_NAMES.includes(name))
  throw new Error(`SERVICE must be one of ${ACTIVITY_NAMES.join(', ')}, not "${name}"`);

// 'engine': one LLM attempt per call; the workflow's retry loop decides about the next one.
const activities = activitiesFromEnv({ retries: 'engine' });
const activity = activities[name] as (input: unknown) => Promise<unknown>;

const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok', service: name }));
app.post(`/${name}`, async (c) => {
  const input: unknown = await c.req.json();
  try {
    return c.json(await activity(input));
  } catch (error) {
    // 502: the upstream LLM failed. Its verdict travels along so the workflow can honour
    // Retry-After and stop on non-retryable answers. The resiliency policy does not retry 502s.
    if (error instanceof LlmCallError) {
      const { status, retryable, retryAfterMs } = error;
      return errorResponse(c, 502, 'llm_call_failed', error.message, {
        llm: { status, retryable, retryAfterMs },
      });
    }
    // Over the work budget: the workflow must fail at once, not retry (retry.ts reads `retryable`).
    if (error instanceof WorkBudgetError) {
      return errorResponse(c, 422, error.code, error.message, { retryable: false });
    }
    console.error(`[${name}]`, error);
    return errorResponse(c, 500, 'activity_failed', (error as Error).message);
  }
});

const served = await serveApp(app);
console.log(`[dapr] ${name} service listening on ${served.url}`);
