import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type DaprStack, startDapr } from './helpers';

// The same contract with workflow state in Redis (the original POC's store): redis-server is
// one more process of the stack, started by the launcher.
let stack: DaprStack;
beforeAll(async () => {
  stack = await startDapr({ state: 'redis' });
});
afterAll(async () => {
  await stack?.handle.down();
});
beforeEach(async () => {
  await mockLlm.neutral(stack.handle.llmUrl);
});

describeConformance({
  name: 'dapr (state.redis)',
  stack: () => ({ apiUrl: stack.handle.apiUrl, llmUrl: stack.handle.llmUrl, blobs: stack.blobs }),
});
