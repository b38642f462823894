import type { TopologyFactory } from '../launcher/topology';
import { localBlobEnv, mockLlmProcess } from './mock-llm';

const topology: TopologyFactory = async (ctx) => {
  const llm = await mockLlmProcess(ctx);
  return {
    stack: 'mock-llm',
    description: 'the mock LLM alone',
    processes: [llm.process],
    llmUrl: llm.url,
    sharedEnv: localBlobEnv(ctx),
  };
};
export default topology;
