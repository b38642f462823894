/**
 * REPLAY TEST HOST — stands in for the Azure Functions host + Durable Functions extension
 * (Durable Task Framework, Azure Storage provider), which cannot be installed on these machines.
 *
 * What it reproduces:
 * - loading the app: `src/functions.ts` is imported unchanged and its `app.*`/`df.app.*`
 *   registrations are captured through a stand-in `@azure/functions-core` (functions-core.ts);
 * - replay: every episode runs the registered orchestrator through the durable-functions SDK's own
 *   executor (`util/testingUtils` createOrchestrator / DurableOrchestrationInput) over the full
 *   history, with the event sequence the extension writes (OrchestratorStarted, ExecutionStarted,
 *   TaskScheduled, TaskCompleted, TaskFailed, TimerCreated, TimerFired, ExecutionCompleted,
 *   OrchestratorCompleted) built from the SDK's own history event classes;
 * - non-determinism detection: the actions the orchestrator returns must match the TaskScheduled
 *   events already in history, or the instance fails as the extension fails it;
 * - at-least-once activities: results are durable messages; a task scheduled but without a
 *   recorded result is run again after a restart;
 * - callActivityWithRetry: retries driven by the host with durable timers, delays computed from
 *   the action's RetryOptions as the Durable Task retry interceptor computes them;
 * - activity concurrency bounded by host.json maxConcurrentActivityFunctions;
 * - durability: history is appended to JSON lines per instance (history-log.ts); a killed host
 *   resumes every unfinished instance from them on start.
 *
 * - HTTP (DF_HTTP=app): requests go to the app's httpTrigger functions with a durable client
 *   binding pointing at the host's own minimal management API (start, status) — see http-host.ts.
 *   By default the shared contract app is served with the host as its InvoiceOrchestrator.
 *
 * What it does NOT reproduce: Azure Storage queue polling and its latency, partitions and
 * leases, extended sessions, most of the HTTP management API, multiple worker processes,
 * scale-out.
 * Its timings are therefore "SDK replay on the test host, not the Functions host".
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import { loadFunctionApp } from './functions-core';
import { startHttpHost } from './http-host';
import { replayHostOrchestrator } from './orchestrator';
import { ReplayHost } from './replay-host';

const here = fileURLToPath(new URL('.', import.meta.url));
const hostJson = JSON.parse(readFileSync(resolve(here, '../host.json'), 'utf8')) as {
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      overridableExistingInstanceStates?: string;
    };
  };
};

// The extension's default (AnyState) lets a start overwrite a running instance; the test host
// implements only NonRunningStates, which the idempotent upload relies on (see SPEC.md).
if (hostJson.extensions?.durableTask?.overridableExistingInstanceStates !== 'NonRunningStates') {
  throw new Error(
    'host.json: the test host implements only overridableExistingInstanceStates "NonRunningStates"',
  );
}

const maxConcurrentActivities = Number(
  process.env.DF_MAX_CONCURRENT_ACTIVITIES ??
    hostJson.extensions?.durableTask?.maxConcurrentActivityFunctions ??
    10,
);
const historyDir = resolve(process.env.DF_HISTORY_DIR ?? '.run/durable-history');

// DF_APP_ENTRY=azure-durable-functions/dist/functions.js runs the bundle `func start` would load.
const appEntry = resolve(process.env.DF_APP_ENTRY ?? resolve(here, '../src/functions.ts'));
const functions = await loadFunctionApp(appEntry);
const host = new ReplayHost({ functions, historyDir, maxConcurrentActivities, log: (l) => console.error(l) });
const resumed = await host.resume();
console.log(
  `[test-host] app ${appEntry}; functions: ${[...functions.values()].map((f) => `${f.name}(${f.triggerType})`).join(', ')}; ` +
    `history ${historyDir}; resumed ${resumed} instance(s), re-dispatched ${host.redispatchedAfterRestart} activity run(s)`,
);

// DF_HTTP=app: HTTP goes to the app's own HTTP starter function and its durable client, which
// talks to the host's management API. Default (contract): the shared contract app is served
// with the host itself as the InvoiceOrchestrator.
const served =
  process.env.DF_HTTP === 'app'
    ? await startHttpHost(
        {
          host,
          functions,
          taskHub: hostJson.extensions?.durableTask?.hubName ?? 'TestHubName',
          routePrefix: hostJson.extensions?.http?.routePrefix ?? 'api',
        },
        Number(process.env.PORT ?? 0),
        process.env.HOST ?? '127.0.0.1',
      )
    : await serveInvoiceApi({ orchestrator: replayHostOrchestrator(host) });
console.log(
  `[test-host] HTTP (${process.env.DF_HTTP === 'app' ? "app's HTTP functions" : 'contract'}) on ${served.url}`,
);

const shutdown = async () => {
  host.stop();
  await served.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
