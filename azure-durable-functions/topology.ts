import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopologyFactory } from '@invoice/tools/launcher/topology';
import { azuriteProcess } from '@invoice/tools/topologies/azurite';
import { mockLlmProcess, tsxCommand } from '@invoice/tools/topologies/mock-llm';

/**
 * Durable Functions here = Azurite (blobs) + the replay test host standing in for the Functions
 * host (see test-host/main.ts for what that does and does not reproduce) + the mock LLM.
 * Settings: DF_MAX_CONCURRENT_ACTIVITIES overrides host.json's maxConcurrentActivityFunctions;
 * DF_APP_ENTRY runs another entry file (e.g. the dist/ bundle) instead of src/functions.ts;
 * HTTP goes through the app's own HTTP starter and durable client (DF_HTTP=contract serves the
 * shared contract app over the host instead); DF_HOST_JSON points at another host.json (queue
 * visibility timeouts, partition leases and functionTimeout come from host.json, else the real
 * defaults: recovery from a killed host then takes minutes, as on Azure Storage);
 * INVOICE_DEADLINE_MS and APPROVAL_TIMEOUT set the API's run limits. `workers` adds no process
 * (see below).
 */
const topology: TopologyFactory = async (ctx) => {
  // One host process owns every instance here (see SPEC.md "Production behaviours"): a second
  // one would not compete for the same queues, so `workers` does not add one (extractWorkers
  // stays empty and GET /healthz says why; the kit then reports no second worker).
  const workersAsked = Number(ctx.settings.workers ?? 1);
  const azurite = await azuriteProcess(ctx);
  const llm = await mockLlmProcess(ctx);
  const port = await ctx.port('api');
  const apiUrl = `http://127.0.0.1:${port}`;
  const hostEnv: Record<string, string> = {
    PORT: String(port),
    DF_HISTORY_DIR: join(ctx.runDir, 'durable-history'),
  };
  // INVOICE_DEADLINE_MS / APPROVAL_TIMEOUT: the API's run limits (shared/src/contract/run-limits.ts).
  for (const key of [
    'DF_MAX_CONCURRENT_ACTIVITIES',
    'DF_APP_ENTRY',
    'DF_HTTP',
    'DF_HOST_JSON',
    'INVOICE_DEADLINE_MS',
    'APPROVAL_TIMEOUT',
  ]) {
    if (ctx.settings[key]) hostEnv[key] = ctx.settings[key];
  }
  return {
    stack: 'azure-durable-functions',
    description: `Functions app (v4 model, durable-functions v3) behind its own HTTP starter on the SDK-replay test host (a stand-in: the Functions host, queues and tables are not in the loop), blobs on Azurite${workersAsked > 1 ? `; workers=${workersAsked} asked, one host process runs (the test host has no shared queues for a second one)` : ''}`,
    processes: [
      ...azurite.processes,
      { ...llm.process, dependsOn: ['azurite'] },
      {
        name: 'functions-host',
        kind: 'engine',
        killable: true,
        ...tsxCommand(ctx, 'azure-durable-functions/test-host/main.ts'),
        env: hostEnv,
        dependsOn: ['azurite', 'mock-llm'],
        ready: { http: `${apiUrl}/healthz` },
      },
    ],
    apiUrl,
    llmUrl: llm.url,
    orchestrationFile: 'azure-durable-functions/src/orchestrator.ts',
    // No second process can take extract work on this test host (see above).
    extractWorkers: [],
    // The committed history events of one instance: what the Azure Storage provider's History
    // table holds (the log's queue-message lines are the queues' share, not history).
    async stateSize(invoiceId) {
      const text = await readFile(join(hostEnv.DF_HISTORY_DIR!, `${invoiceId}.jsonl`), 'utf8');
      const events = text.split('\n').filter((line) => line.startsWith('{"kind":"event"'));
      const bytes = events.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0);
      return { bytes, events: events.length, what: 'history events (JSON lines, test host)' };
    },
    sharedEnv: {
      BLOB_STORE: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      BLOB_CONTAINER: 'invoices',
      LLM_URL: llm.url,
    },
  };
};
export default topology;
