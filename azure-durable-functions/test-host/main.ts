/**
 * REPLAY TEST HOST — stands in for the Azure Functions host + Durable Functions extension
 * (Durable Task Framework, Azure Storage provider), which cannot be installed on these machines.
 *
 * What it reproduces (SPEC.md "Fidelity" has the table, with the real implementation's lines):
 * - loading the app: `src/functions.ts` is imported unchanged and its `app.*`/`df.app.*`
 *   registrations are captured through a stand-in `@azure/functions-core` (functions-core.ts);
 * - replay: every episode runs the registered orchestrator through the durable-functions SDK's own
 *   executor over the full history, with the event sequence the extension writes, built from the
 *   SDK's own history event classes;
 * - DurableTask.Core's replay check: sequence number, action type, activity name; nothing else;
 * - the Azure Storage provider's write order (enqueue, commit, delete), queue visibility timeouts,
 *   partition leases and functionTimeout, from host.json (host-settings.ts) with the real defaults;
 * - callActivityWithRetry: retries with durable timers, as DurableTask.Core's retry interceptor;
 * - durable timers (createTimer; cancel() leaves the timer in place), external events (raiseEvent,
 *   EventRaised in history, buffered by the SDK until waited for) and the custom status;
 * - activity concurrency bounded by host.json maxConcurrentActivityFunctions;
 * - HTTP: requests go to the app's httpTrigger functions with a durable client binding pointing
 *   at the host's minimal management API (start, status, raiseEvent, terminate) — see http-host.ts. DF_HTTP=contract
 *   serves the shared contract app with the host as its InvoiceOrchestrator instead.
 *
 * What it does NOT reproduce: queue polling and its back-off latency, the storage round trips,
 * extended sessions, most of the HTTP management API, several workers, scale-out, the .NET host.
 * Its timings are therefore "SDK executor on our test host, not the Functions host".
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveInvoiceApi } from '@invoice/shared/contract/serve';
import { loadFunctionApp } from './functions-core';
import { type HostJson, hostSettings } from './host-settings';
import { startHttpHost } from './http-host';
import { replayHostOrchestrator } from './orchestrator';
import { ReplayHost } from './replay-host';

const here = fileURLToPath(new URL('.', import.meta.url));
// DF_HOST_JSON: another host.json (tests shorten timeouts this way and say so); default: the app's.
const hostJsonPath = resolve(process.env.DF_HOST_JSON ?? resolve(here, '../host.json'));
const settings = hostSettings(
  JSON.parse(readFileSync(hostJsonPath, 'utf8')) as HostJson,
  availableParallelism(),
);

// The extension's default (AnyState) lets a start overwrite a running instance; the test host
// implements only NonRunningStates, which the idempotent upload relies on (see SPEC.md).
const hostJsonRaw = JSON.parse(readFileSync(hostJsonPath, 'utf8')) as HostJson;
if (hostJsonRaw.extensions?.durableTask?.overridableExistingInstanceStates !== 'NonRunningStates') {
  throw new Error(
    'host.json: the test host implements only overridableExistingInstanceStates "NonRunningStates"',
  );
}
const maxConcurrentActivities = Number(
  process.env.DF_MAX_CONCURRENT_ACTIVITIES ?? settings.maxConcurrentActivities,
);
const historyDir = resolve(process.env.DF_HISTORY_DIR ?? '.run/durable-history');

// DF_APP_ENTRY=azure-durable-functions/dist/functions.js runs the bundle `func start` would load.
const appEntry = resolve(process.env.DF_APP_ENTRY ?? resolve(here, '../src/functions.ts'));
const functions = await loadFunctionApp(appEntry);
const host = new ReplayHost({
  functions,
  historyDir,
  maxConcurrentActivities,
  provider: settings,
  log: (l) => console.error(l),
});
const resumed = await host.resume();
console.log(
  `[test-host] app ${appEntry}; functions: ${[...functions.values()].map((f) => `${f.name}(${f.triggerType})`).join(', ')}; ` +
    `history ${historyDir}; host.json ${hostJsonPath} (${JSON.stringify(settings)}); resumed ${resumed} instance(s), re-dispatched ${host.redispatchedAfterRestart} activity run(s)`,
);

// Default (DF_HTTP=app): HTTP goes to the app's own HTTP starter function and its durable
// client, which talks to the host's management API, as with `func start`. DF_HTTP=contract
// serves the shared contract app with the host itself as the InvoiceOrchestrator instead.
const viaApp = process.env.DF_HTTP !== 'contract';
const served = viaApp
  ? await startHttpHost(
      { host, functions, taskHub: settings.taskHub, routePrefix: settings.routePrefix },
      Number(process.env.PORT ?? 0),
      process.env.HOST ?? '127.0.0.1',
    )
  : await serveInvoiceApi({ orchestrator: replayHostOrchestrator(host) });
console.log(`[test-host] HTTP (${viaApp ? "app's HTTP functions" : 'contract'}) on ${served.url}`);

const shutdown = async () => {
  await host.shutdown();
  await served.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
