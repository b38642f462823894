import { Hono } from 'hono';
import { errorResponse } from '../contract/errors';
import { serveApp } from '../contract/serve';
import { LlmCallError } from '../llm/client';
import { WorkBudgetError } from '../pdf/budget';
import { activitiesFromEnv } from './activities';
import { ACTIVITY_NAMES, type ActivityName, SERVICE_ACTIVITIES } from './types';

/**
 * One activity service (SERVICE=split|extract|aggregate): a plain HTTP server answering
 * POST /<activity> for each activity of its role (SERVICE_ACTIVITIES: aggregate also serves
 * /recordDecision). The Dapr stack fronts each with its own daprd sidecar; the Prefect stack's
 * Python tasks call it directly. Nothing here is engine-specific, which is the point: the
 * activities stay TypeScript, written once, whatever language the orchestration is in.
 */
const name = process.env.SERVICE as ActivityName;
if (!ACTIVITY_NAMES.includes(name))
  throw new Error(`SERVICE must be one of ${ACTIVITY_NAMES.join(', ')}, not "${name}"`);

// 'engine': one LLM attempt per call; the workflow's retry loop decides about the next one.
const activities = activitiesFromEnv({ retries: 'engine' });
const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok', service: name }));
app.post('/:activity', async (c) => {
  const activityName = c.req.param('activity');
  if (!(SERVICE_ACTIVITIES[name] as readonly string[]).includes(activityName)) {
    return errorResponse(c, 404, 'not_found', `the ${name} service has no activity "${activityName}"`);
  }
  const activity = activities[activityName as keyof typeof activities] as (
    input: unknown,
  ) => Promise<unknown>;
  const input: unknown = await c.req.json();
  try {
    return c.json(await activity(input));
  } catch (error) {
    // 502: the upstream LLM failed. Its verdict travels along so the workflow can honour
    // Retry-After and stop on non-retryable answers. Dapr's resiliency policy does not retry 502s.
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
console.log(`[activity-service] ${name} service listening on ${served.url}`);
