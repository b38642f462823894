import type { TopologyFactory } from '../launcher/topology';
import { azuriteProcess } from './azurite';
import { localBlobEnv, mockLlmProcess, tsxCommand } from './mock-llm';

/**
 * The no-orchestrator baseline: one API process running the flow in memory, plus the mock LLM.
 * `--set BLOB_STORE=azure` puts its blobs on Azurite, so it can be the ideal for a stack that
 * keeps its blobs there (Durable Functions) under the same storage costs.
 */
const topology: TopologyFactory = async (ctx) => {
  const llm = await mockLlmProcess(ctx);
  const port = await ctx.port('api');
  const apiUrl = `http://127.0.0.1:${port}`;
  const azurite = ctx.settings.BLOB_STORE === 'azure' ? await azuriteProcess(ctx) : undefined;
  const blobEnv = azurite
    ? { BLOB_STORE: 'azure', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString }
    : localBlobEnv(ctx);
  return {
    stack: 'reference',
    description: 'plain async code, Promise.all fan-out, no durability',
    processes: [
      ...(azurite ? azurite.processes : []),
      llm.process,
      {
        name: 'api',
        kind: 'api',
        killable: true,
        ...tsxCommand(ctx, 'tools/src/reference/main.ts'),
        env: { PORT: String(port), LLM_URL: llm.url },
        dependsOn: ['mock-llm', ...(azurite ? ['azurite'] : [])],
        ready: { http: `${apiUrl}/healthz` },
      },
    ],
    apiUrl,
    llmUrl: llm.url,
    orchestrationFile: 'tools/src/reference/pipeline.ts',
    extractWorkers: [],
    sharedEnv: { ...blobEnv, LLM_URL: llm.url },
  };
};
export default topology;
