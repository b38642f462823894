import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIVITY_NAMES } from '@invoice/shared/flow/types';
import type { ProcessSpec, TopologyFactory } from '../tools/src/launcher/topology';
import {
  activityServiceProcess,
  localBlobEnv,
  mockLlmProcess,
  tsxCommand,
} from '../tools/src/topologies/mock-llm';
import { prefectPostgresStateSize, prefectStateSize } from './src/state-size';

/** The venv tools/engines/prefect.sh builds once from prefect/requirements.lock (or PREFECT_VENV). */
export function prefectVenv(repoRoot: string): string {
  const out = execFileSync(join(repoRoot, 'tools/engines/prefect.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const venv = /^venv=(.+)$/m.exec(out)?.[1];
  if (!venv) throw new Error(`tools/engines/prefect.sh printed no venv path:\n${out}`);
  return venv;
}

const LOOPBACK = '127.0.0.1';

/**
 * The Prefect stack as native processes: the Prefect 3 server (SQLite, or PostgreSQL with
 * --set variant=postgres), one process worker of the `invoice` pool (it registers the pool and
 * the deployment first, prefect/src/invoice_flow/deploy.py, and spawns one flow process per
 * flow run), the three activity services the tasks call (shared/src/flow/activity-service.ts),
 * the contract API and the mock LLM. Everything on loopback; analytics and telemetry off.
 * Settings: variant=postgres, ui=true (the server's dashboard), workerQuerySeconds (1), workerLimit (10),
 * workers (1: process workers polling the pool, `worker`, `worker-2`, ...; each flow run, its
 * extract tasks included, runs in a flow process one of them spawned), EXTRACT_MAX_CONCURRENT
 * (100: the flow's ThreadPoolTaskRunner), LLM_*.
 */
const topology: TopologyFactory = async (ctx) => {
  const variant = ctx.settings.variant ?? 'sqlite';
  if (variant !== 'sqlite' && variant !== 'postgres')
    throw new Error(`prefect: settings.variant must be sqlite or postgres, not "${variant}"`);
  const venv = prefectVenv(ctx.repoRoot);
  const bin = (name: string) => join(venv, 'bin', name);

  await ctx.port('mock-llm'); // claimed first: mockLlmProcess asks ctx.port('mock-llm') itself
  const llm = await mockLlmProcess(ctx);
  const processes: ProcessSpec[] = [llm.process];

  let databaseUrl = `sqlite+aiosqlite:///${join(ctx.runDir, 'prefect.db')}`;
  if (variant === 'postgres') {
    const port = await ctx.port('postgres');
    processes.push({
      name: 'postgres',
      kind: 'storage',
      killable: true,
      ...tsxCommand(ctx, 'tools/src/engines/postgres.ts', [
        '--dir',
        join(ctx.runDir, 'postgres'),
        '--port',
        String(port),
      ]),
      ready: { log: /postgres ready on/ },
    });
    databaseUrl = `postgresql+asyncpg://postgres@${LOOPBACK}:${port}/postgres`;
  }

  const serviceUrls: Record<string, string> = {};
  for (const service of ACTIVITY_NAMES) {
    const port = await ctx.port(service);
    serviceUrls[`${service.toUpperCase()}_URL`] = `http://${LOOPBACK}:${port}`;
    processes.push(activityServiceProcess(ctx, service, port, llm.url));
  }

  const serverPort = await ctx.port('prefect-server');
  const apiUrl = `http://${LOOPBACK}:${serverPort}/api`;
  const home = join(ctx.runDir, 'prefect-home');
  mkdirSync(home, { recursive: true });
  const ui = ctx.settings.ui === 'true';
  // Every Prefect process reads the same settings (prefect/settings/models/*): this server,
  // no phoning home (server analytics, client telemetry via DO_NOT_TRACK, resource metrics).
  const prefectEnv: Record<string, string> = {
    PREFECT_HOME: home,
    PREFECT_API_URL: apiUrl,
    PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
    DO_NOT_TRACK: '1',
    PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS: 'false',
    PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY: 'false',
    PREFECT_UI_ENABLED: String(ui),
    PREFECT_LOCAL_STORAGE_PATH: join(ctx.runDir, 'prefect-results'),
    PREFECT_RESULTS_PERSIST_BY_DEFAULT: 'true',
  };
  processes.push({
    name: 'prefect-server',
    kind: 'engine',
    killable: true,
    command: bin('prefect'),
    args: ['server', 'start', '--host', LOOPBACK, '--port', String(serverPort)],
    env: { ...prefectEnv, PREFECT_SERVER_DATABASE_CONNECTION_URL: databaseUrl },
    dependsOn: variant === 'postgres' ? ['postgres'] : [],
    ready: { http: `${apiUrl}/health` },
    readyTimeoutMs: 180_000,
  });

  // Flow runs at once on this worker, each its own Python process (Prefect's default: no limit).
  // Beyond it, runs wait Scheduled until a slot frees: 100 concurrent invoices must not mean 100
  // interpreters on a 2-core machine.
  const workerLimit = Number(ctx.settings.workerLimit ?? 10);
  const workers = Number(ctx.settings.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`prefect: settings.workers must be a whole number >= 1, not "${ctx.settings.workers}"`);
  const workerNames = Array.from({ length: workers }, (_, i) => (i === 0 ? 'worker' : `worker-${i + 1}`));
  for (const [i, name] of workerNames.entries())
    processes.push({
      name,
      kind: 'worker',
      killable: true,
      // bash execs the worker after the deploy step, so the launcher's pid is the worker's.
      command: 'bash',
      args: [
        '-c',
        `"${bin('python')}" -m invoice_flow.deploy && exec "${bin('prefect')}" worker start --pool invoice --type process --name worker-${i + 1} --limit ${workerLimit}`,
      ],
      cwd: join(ctx.repoRoot, 'prefect/src'),
      env: {
        ...prefectEnv,
        ...serviceUrls,
        PATH: `${join(venv, 'bin')}:${process.env.PATH ?? ''}`,
        // Prefect's default is 10 s between polls for scheduled runs: a 5 s wait on average per run.
        PREFECT_WORKER_QUERY_SECONDS: ctx.settings.workerQuerySeconds ?? '1',
        ...(ctx.settings.EXTRACT_MAX_CONCURRENT
          ? { EXTRACT_MAX_CONCURRENT: ctx.settings.EXTRACT_MAX_CONCURRENT }
          : {}),
      },
      // The first worker registers the pool and the deployment; the others start after it.
      dependsOn: ['prefect-server', ...ACTIVITY_NAMES, ...(i === 0 ? [] : ['worker'])],
      ready: { log: /Worker '[^']*' started/ },
      readyTimeoutMs: 120_000,
    });

  const apiPort = await ctx.port('api');
  const contractUrl = `http://${LOOPBACK}:${apiPort}`;
  processes.push({
    name: 'api',
    kind: 'api',
    killable: true,
    ...tsxCommand(ctx, 'prefect/src/api.ts'),
    env: { PORT: String(apiPort), PREFECT_API_URL: apiUrl },
    dependsOn: ['worker'],
    ready: { http: `${contractUrl}/healthz` },
  });

  return {
    stack: 'prefect',
    description: `Prefect 3 server (${variant === 'postgres' ? 'PostgreSQL' : 'SQLite'}) + process worker; tasks call the split/extract/aggregate services`,
    processes,
    apiUrl: contractUrl,
    llmUrl: llm.url,
    links: {
      'Prefect REST API': `${apiUrl}/docs`,
      ...(ui ? { 'Prefect UI': `http://${LOOPBACK}:${serverPort}` } : {}),
    },
    sharedEnv: { ...localBlobEnv(ctx), LLM_URL: llm.url, PREFECT_API_URL: apiUrl },
    orchestrationFile: 'prefect/src/invoice_flow/flow.py',
    extractWorkers: workerNames,
    stateSize: (invoiceId) =>
      variant === 'sqlite'
        ? prefectStateSize(join(ctx.runDir, 'prefect.db'), prefectEnv.PREFECT_LOCAL_STORAGE_PATH!, invoiceId)
        : prefectPostgresStateSize(databaseUrl, prefectEnv.PREFECT_LOCAL_STORAGE_PATH!, invoiceId),
  };
};
export default topology;
