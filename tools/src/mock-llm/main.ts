import { parseArgs } from 'node:util';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import { serveApp } from '@invoice/shared/contract/serve';
import { configFromEnv } from './config';
import { createMockLlm } from './server';

// Flags override the LLM_* environment variables of the same meaning.
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    latency: { type: 'string' },
    seed: { type: 'string' },
    'fail-429': { type: 'string' },
    'fail-500': { type: 'string' },
    'fail-hang': { type: 'string' },
    'fail-script': { type: 'string' },
    'hang-pages': { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const env = {
  ...process.env,
  ...(values.latency && { LLM_LATENCY: values.latency }),
  ...(values.seed && { LLM_SEED: values.seed }),
  ...(values['fail-429'] && { LLM_FAIL_429: values['fail-429'] }),
  ...(values['fail-500'] && { LLM_FAIL_500: values['fail-500'] }),
  ...(values['fail-hang'] && { LLM_FAIL_HANG: values['fail-hang'] }),
  ...(values['fail-script'] && { LLM_FAIL_SCRIPT: values['fail-script'] }),
  ...(values['hang-pages'] && { LLM_HANG_PAGES: values['hang-pages'] }),
  ...(values.concurrency && { LLM_CONCURRENCY: values.concurrency }),
};
const config = configFromEnv(env);
const { app } = createMockLlm(config, blobStoreFromEnv());
const served = await serveApp(app, { port: Number(values.port ?? process.env.PORT ?? 8090) });
console.log(`mock LLM listening on ${served.url} ${JSON.stringify(config)}`);
