import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ProcessSpec, TopologyFactory } from '../tools/src/launcher/topology';
import { localBlobEnv, mockLlmProcess, tsxCommand } from '../tools/src/topologies/mock-llm';

/** The Temporal CLI (it embeds the dev server): built once by tools/engines/temporal.sh, or TEMPORAL_BIN. */
function temporalBinary(repoRoot: string): string {
  const out = execFileSync(join(repoRoot, 'tools/engines/temporal.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

function extractWorkerCount(setting: string | undefined): number {
  if (setting === undefined) return 1;
  const n = Number(setting);
  if (!Number.isInteger(n) || n < 1) throw new Error(`workers must be a positive integer, got "${setting}"`);
  return n;
}

/**
 * The Temporal stack as native processes: the real Temporal server (dev server, SQLite file in
 * the run folder so a restart keeps running workflows), one worker process per service on its
 * own task queue (split also hosts the workflow queue), the contract API and the mock LLM.
 *
 * Settings: EXTRACT_MAX_CONCURRENT, SPLIT_MAX_CONCURRENT, AGGREGATE_MAX_CONCURRENT,
 * WORKFLOW_MAX_CONCURRENT (worker slots, see src/worker.ts), workers=N (extract worker
 * processes on the one extract task queue, default 1), headless=true (no web UI),
 * temporalLogLevel (warn), LLM_* (the mock LLM).
 */
const topology: TopologyFactory = async (ctx) => {
  const bin = temporalBinary(ctx.repoRoot);
  const [grpc, http, ui, metrics, api] = await Promise.all(
    ['temporal-grpc', 'temporal-http', 'temporal-ui', 'temporal-metrics', 'api'].map((name) =>
      ctx.port(name),
    ),
  );
  const headless = ctx.settings.headless === 'true';
  const dataDir = join(ctx.runDir, 'temporal');
  mkdirSync(dataDir, { recursive: true });
  const llm = await mockLlmProcess(ctx);
  const apiUrl = `http://127.0.0.1:${api}`;
  const workerEnv = {
    TEMPORAL_ADDRESS: `127.0.0.1:${grpc}`,
    ...Object.fromEntries(Object.entries(ctx.settings).filter(([key]) => key.endsWith('_MAX_CONCURRENT'))),
  };

  const server: ProcessSpec = {
    name: 'temporal',
    kind: 'engine',
    killable: true,
    command: bin,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(grpc),
      '--http-port',
      String(http),
      '--metrics-port',
      String(metrics),
      // The same file across restarts: workflows in flight survive a server restart.
      '--db-filename',
      join(dataDir, 'temporal.db'),
      '--log-level',
      ctx.settings.temporalLogLevel ?? 'warn',
      // The server checks version-info.temporal.io periodically unless told not to
      // (go.temporal.io/server v1.29 common/dynamicconfig/constants.go EnableServerVersionCheck,
      // common/versioninfo/caller.go); the no-outbound test caught its DNS lookups.
      '--dynamic-config-value',
      'frontend.enableServerVersionCheck=false',
      ...(headless ? ['--headless'] : ['--ui-port', String(ui)]),
    ],
    // The HTTP API answers only once the frontend and the default namespace are up.
    ready: { http: `http://127.0.0.1:${http}/api/v1/namespaces/default` },
  };

  const worker = (service: 'split' | 'extract' | 'aggregate', name = `worker-${service}`): ProcessSpec => ({
    name,
    kind: 'worker',
    killable: true,
    ...tsxCommand(ctx, 'temporal/src/worker.ts', [service]),
    env: workerEnv,
    dependsOn: ['temporal', 'mock-llm'],
    ready: { log: new RegExp(`\\[temporal-worker\\] ${service} worker polling`) },
  });

  // workers=N: N processes polling the one extract queue; the first keeps the name tests kill.
  const extractWorkers = Array.from({ length: extractWorkerCount(ctx.settings.workers) }, (_, i) =>
    i === 0 ? 'worker-extract' : `worker-extract-${i + 1}`,
  );

  return {
    stack: 'temporal',
    description: 'Temporal dev server (SQLite), one worker process per task queue, TypeScript SDK',
    processes: [
      llm.process,
      server,
      worker('split'),
      ...extractWorkers.map((name) => worker('extract', name)),
      worker('aggregate'),
      {
        name: 'api',
        kind: 'api',
        killable: true,
        ...tsxCommand(ctx, 'temporal/src/api.ts'),
        env: { ...workerEnv, PORT: String(api) },
        dependsOn: ['temporal', 'worker-split', ...extractWorkers, 'worker-aggregate'],
        // /healthz is 200 once the server answers and a worker polls the workflow queue.
        ready: { http: `${apiUrl}/healthz` },
      },
    ],
    apiUrl,
    llmUrl: llm.url,
    links: headless ? undefined : { 'Temporal UI': `http://127.0.0.1:${ui}` },
    orchestrationFile: 'temporal/src/workflows.ts',
    extractWorkers,
    // The server's own numbers for one workflow's history: event count and size in bytes.
    async stateSize(invoiceId) {
      const connection = await Connection.connect({ address: workerEnv.TEMPORAL_ADDRESS! });
      try {
        const description = await new Client({ connection }).workflow.getHandle(invoiceId).describe();
        return {
          bytes: description.historySize ?? 0,
          events: description.historyLength,
          what: 'workflow history (server-reported)',
        };
      } finally {
        await connection.close();
      }
    },
    // TEMPORAL_ADDRESS is shared so tests and benchmarks can open a client on the same server.
    sharedEnv: { ...localBlobEnv(ctx), LLM_URL: llm.url, TEMPORAL_ADDRESS: workerEnv.TEMPORAL_ADDRESS },
  };
};
export default topology;
