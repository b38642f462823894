import { LogLevel, WorkflowRuntime } from '@dapr/dapr';
import { serveApp } from '@invoice/shared/contract/serve';
import { Hono } from 'hono';
import { activities } from './activities';
import { sidecar, WORKFLOW_NAME } from './config';
import { invoiceWorkflow } from './workflow';

/**
 * @dapr/dapr 3.18's worker (TaskHubGrpcWorker) runs at most 10 work items at once, queues 100
 * more and DROPS anything beyond that, and none of it is configurable. 10 would cap the fan-out
 * at 10 pages in flight (the parallelism dapr #7924 is about) and the drop would lose pages at
 * N > 110. We raise both limits on the SDK's private fields and fail loudly if an SDK update
 * renames them; the sidecar's own cap (Configuration maxConcurrentActivityInvocations) stays
 * below ours, so the worker never has to queue.
 */
function raiseWorkerLimits(runtime: WorkflowRuntime, concurrency: number) {
  const worker = (runtime as unknown as { worker?: Record<string, unknown> }).worker;
  if (typeof worker?._maxConcurrentWorkItems !== 'number' || typeof worker._maxQueueSize !== 'number') {
    throw new Error('@dapr/dapr worker internals changed: revisit raiseWorkerLimits (workflow-app.ts)');
  }
  worker._maxConcurrentWorkItems = concurrency;
  worker._maxQueueSize = Number.MAX_SAFE_INTEGER;
  // It also logs every work item at info level, whatever the runtime's logger options say.
  const logger = worker.logger as { logLevel?: LogLevel } | undefined;
  if (logger) logger.logLevel = LogLevel.Warn;
}

/**
 * The sidecar counts the workers streaming work items from it; start() returns before that.
 * undefined when the sidecar itself does not answer.
 */
async function connectedWorkers(httpUrl: string): Promise<number | undefined> {
  const response = await fetch(`${httpUrl}/v1.0/metadata`, { signal: AbortSignal.timeout(2_000) }).catch(
    () => undefined,
  );
  if (!response?.ok) return undefined;
  return (
    ((await response.json()) as { workflows?: { connectedWorkers?: number } }).workflows?.connectedWorkers ??
    0
  );
}

const { host, grpcPort, httpUrl } = sidecar();
async function startRuntime(): Promise<WorkflowRuntime> {
  const runtime = new WorkflowRuntime({
    daprHost: host,
    daprPort: grpcPort,
    logger: { level: LogLevel.Warn },
  });
  runtime.registerWorkflowWithName(WORKFLOW_NAME, invoiceWorkflow);
  for (const [name, activity] of Object.entries(activities)) runtime.registerActivityWithName(name, activity);
  raiseWorkerLimits(runtime, Number(process.env.DAPR_WORKER_CONCURRENCY ?? 1024));
  await runtime.start();
  return runtime;
}
let runtime = await startRuntime();

/**
 * When the sidecar restarts, the SDK's work-item stream does not come back: the sidecar is up
 * again but sees no worker, and every workflow stalls (found by `pnpm chaos dapr`). So we watch
 * the sidecar's count of connected workers and start a fresh runtime when ours has dropped off.
 */
let missedChecks = 0;
let restarting = false;
setInterval(async () => {
  if (restarting) return;
  const workers = await connectedWorkers(httpUrl);
  missedChecks = workers === 0 ? missedChecks + 1 : 0;
  if (missedChecks < 3) return;
  restarting = true;
  console.log('[dapr] the sidecar sees no workflow worker: starting a fresh runtime');
  try {
    await runtime.stop().catch(() => {});
    runtime = await startRuntime();
  } catch (error) {
    console.error(`[dapr] could not start a fresh runtime yet: ${(error as Error).message}`);
  } finally {
    restarting = false;
    missedChecks = 0;
  }
}, 1_000);

// GET /healthz answers 200 once the sidecar sees this worker: the launcher's readiness probe.
let connected = false;
const health = new Hono().get('/healthz', async (c) => {
  connected ||= ((await connectedWorkers(httpUrl)) ?? 0) > 0;
  return c.json({ connected }, connected ? 200 : 503);
});
const served = await serveApp(health);
console.log(`[dapr] workflow worker started against ${host}:${grpcPort}; health on ${served.url}/healthz`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    runtime.stop().finally(() => process.exit(0));
  });
}
