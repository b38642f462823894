import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBlobStore } from '@invoice/shared/blob/local';
import { createInvoiceApp } from '@invoice/shared/contract/app';
import { serveApp } from '@invoice/shared/contract/serve';
import { createActivities } from '@invoice/shared/flow/activities';
import { createLlmClient } from '@invoice/shared/llm/client';
import { MockLlmConfig } from '../mock-llm/config';
import { createMockLlm } from '../mock-llm/server';
import { referenceOrchestrator } from './pipeline';

/**
 * The reference stack inside the calling process: mock LLM + contract API on ephemeral ports,
 * blobs in a temp folder. Tests and the benchmark use it; `pnpm stack up reference` runs the
 * same code as separate processes.
 */
export async function startReferenceInProcess(llmConfig: Partial<MockLlmConfig> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'invoice-reference-'));
  const blobs = new LocalBlobStore(join(dir, 'blobs'));
  const mock = createMockLlm(MockLlmConfig.parse(llmConfig), blobs);
  const llmServer = await serveApp(mock.app);
  const activities = createActivities({
    blobs,
    llm: createLlmClient({ baseUrl: llmServer.url, retries: 'in-process' }),
  });
  const api = await serveApp(createInvoiceApp({ orchestrator: referenceOrchestrator(activities), blobs }));
  return {
    apiUrl: api.url,
    llmUrl: llmServer.url,
    blobs,
    mock,
    async close() {
      await Promise.all([api.close(), llmServer.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
