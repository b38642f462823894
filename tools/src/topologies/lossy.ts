import type { TopologyFactory } from '../launcher/topology';
import { localBlobEnv, mockLlmProcess, tsxCommand } from './mock-llm';

/** Test-only: the reference pipeline with an API that loses every third invoice. */
const topology: TopologyFactory = async (ctx) => {
  const llm = await mockLlmProcess(ctx);
  const port = await ctx.port('api');
  const apiUrl = `http://127.0.0.1:${port}`;
  return {
    stack: 'lossy',
    description: 'deliberately broken: loses every third invoice',
    processes: [
      llm.process,
      {
        name: 'api',
        kind: 'api',
        killable: true,
        ...tsxCommand(ctx, 'tools/src/kit/testing/lossy-api.ts'),
        env: { PORT: String(port), LOSE_EVERY: ctx.settings.LOSE_EVERY ?? '3' },
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
