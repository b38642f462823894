import type { TopologyFactory } from '../launcher/topology';
import { localBlobEnv, mockLlmProcess, tsxCommand } from './mock-llm';

/** The no-orchestrator baseline: one API process running the flow in memory, plus the mock LLM. */
const topology: TopologyFactory = async (ctx) => {
  const llm = await mockLlmProcess(ctx);
  const port = await ctx.port('api');
  const apiUrl = `http://127.0.0.1:${port}`;
  return {
    stack: 'reference',
    description: 'plain async code, Promise.all fan-out, no durability',
    processes: [
      llm.process,
      {
        name: 'api',
        kind: 'api',
        killable: true,
        ...tsxCommand(ctx, 'tools/src/reference/main.ts'),
        env: { PORT: String(port), LLM_URL: llm.url },
        dependsOn: ['mock-llm'],
        ready: { http: `${apiUrl}/healthz` },
      },
    ],
    apiUrl,
    llmUrl: llm.url,
    sharedEnv: { ...localBlobEnv(ctx), LLM_URL: llm.url },
  };
};
export default topology;
