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
 * DF_HTTP=app routes HTTP through the app's own HTTP starter and durable client.
 */
const topology: TopologyFactory = async (ctx) => {
  const azurite = await azuriteProcess(ctx);
  const llm = await mockLlmProcess(ctx);
  const port = await ctx.port('api');
  const apiUrl = `http://127.0.0.1:${port}`;
  const hostEnv: Record<string, string> = {
    PORT: String(port),
    DF_HISTORY_DIR: join(ctx.runDir, 'durable-history'),
  };
  for (const key of ['DF_MAX_CONCURRENT_ACTIVITIES', 'DF_APP_ENTRY', 'DF_HTTP']) {
    if (ctx.settings[key]) hostEnv[key] = ctx.settings[key];
  }
  return {
    stack: 'azure-durable-functions',
    description:
      'Functions app (v4 model, durable-functions v3) on the SDK-replay test host, blobs on Azurite',
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
    // The persisted history log of one instance: what the Azure Storage provider's History table would hold.
    async stateSize(invoiceId) {
      const text = await readFile(join(hostEnv.DF_HISTORY_DIR!, `${invoiceId}.jsonl`), 'utf8');
      const events = text.split('\n').filter((line) => line.startsWith('{"kind":"event"')).length;
      return { bytes: Buffer.byteLength(text), events, what: 'history log (JSON lines)' };
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
