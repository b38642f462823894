import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ProcessSpec, TopologyContext, TopologyFactory } from '../tools/src/launcher/topology';
import {
  activityServiceProcess,
  localBlobEnv,
  mockLlmProcess,
  tsxCommand,
} from '../tools/src/topologies/mock-llm';

/**
 * Paths of daprd, placement and scheduler: built once by tools/engines/dapr.sh, or DAPRD_BIN etc.
 * `patched` (the default) is daprd 1.18.2 with the upstream fix in tools/engines/patches/;
 * `stock` is the release as tagged, to measure what that fix is worth.
 */
function daprBinaries(
  repoRoot: string,
  daprd: 'patched' | 'stock',
): { daprd: string; placement: string; scheduler: string } {
  const out = execFileSync(join(repoRoot, 'tools/engines/dapr.sh'), {
    encoding: 'utf8',
    env: { ...process.env, DAPRD_PATCHES: daprd === 'stock' ? 'none' : '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const paths = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  if (!paths.daprd || !paths.placement || !paths.scheduler)
    throw new Error(`tools/engines/dapr.sh printed no paths:\n${out}`);
  return paths as { daprd: string; placement: string; scheduler: string };
}

/**
 * Fills the {{...}} placeholders of dapr/components/*.yaml into this instance's resources folder.
 * A file whose text is unchanged is not written: every running daprd watches this folder and
 * restarts its runtime on a change (SIGHUP to itself), so rebuilding the topology of a running
 * instance must leave the files alone.
 */
function writeResources(
  ctx: TopologyContext,
  dataDir: string,
  files: string[],
  values: Record<string, string>,
): string {
  const dir = join(ctx.runDir, 'dapr-resources');
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const template = readFileSync(join(ctx.repoRoot, 'dapr/components', file), 'utf8');
    const text = template
      .replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = { DATA_DIR: dataDir, ...values }[key];
        if (value === undefined) throw new Error(`dapr/components/${file}: no value for {{${key}}}`);
        return value;
      })
      // A number, so not a {{...}} placeholder (YAML would read that as a mapping).
      .replace(/(maxConcurrentActivityInvocations:\s*)\d+/, `$1${values.MAX_ACTIVITIES ?? 512}`);
    const path = join(dir, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
  }
  return dir;
}

/** Loopback everywhere: nothing of this stack listens beyond the machine. */
const LOOPBACK = '127.0.0.1';

/**
 * The Dapr stack as native processes: placement and scheduler (the control plane), the
 * workflow app with its sidecar, three activity services each behind its own sidecar, the
 * contract API, the mock LLM, and Redis for the `state=redis` variant. Every process has its
 * own ports (Dapr's http/grpc/internal-grpc, metrics, healthz); profiling stays off.
 */
const topology: TopologyFactory = async (ctx) => {
  const portFor = (name: string) => ctx.port(name);
  const state = ctx.settings.state ?? 'sqlite';
  if (state !== 'sqlite' && state !== 'redis')
    throw new Error(`dapr: settings.state must be sqlite or redis, not "${state}"`);
  const daprd = ctx.settings.daprd ?? 'patched';
  if (daprd !== 'patched' && daprd !== 'stock')
    throw new Error(`dapr: settings.daprd must be patched or stock, not "${daprd}"`);
  const bins = daprBinaries(ctx.repoRoot, daprd);
  const logLevel = ctx.settings.daprLogLevel ?? 'info';
  /** spec.workflow.maxConcurrentActivityInvocations in components/config.yaml (`--set maxActivities=N`) */
  const maxActivities = Number(ctx.settings.maxActivities ?? 512);
  if (!Number.isInteger(maxActivities) || maxActivities < 1)
    throw new Error(
      `dapr: settings.maxActivities must be a positive integer, not "${ctx.settings.maxActivities}"`,
    );
  const dataDir = join(ctx.runDir, 'dapr-data');
  mkdirSync(dataDir, { recursive: true });

  await portFor('mock-llm'); // claimed first: mockLlmProcess asks ctx.port('mock-llm') itself
  const llm = await mockLlmProcess(ctx);
  const processes: ProcessSpec[] = [llm.process];

  let redisHost = '';
  if (state === 'redis') {
    const port = await portFor('redis');
    redisHost = `${LOOPBACK}:${port}`;
    mkdirSync(join(dataDir, 'redis'), { recursive: true });
    processes.push({
      name: 'redis',
      kind: 'storage',
      killable: true,
      command: ctx.settings.redisServer ?? process.env.REDIS_SERVER_BIN ?? 'redis-server',
      // appendonly: workflow history must survive a Redis restart as it survives one of SQLite.
      args: [
        '--port',
        String(port),
        '--bind',
        LOOPBACK,
        '--dir',
        join(dataDir, 'redis'),
        '--save',
        '',
        '--appendonly',
        'yes',
      ],
      ready: { tcp: port },
    });
  }
  const resources = writeResources(
    ctx,
    dataDir,
    ['config.yaml', 'resiliency.yaml', `statestore-${state}.yaml`],
    {
      REDIS_HOST: redisHost,
      MAX_ACTIVITIES: String(maxActivities),
    },
  );

  const placementPort = await portFor('placement');
  const placementHealthz = await portFor('placement-healthz');
  processes.push({
    name: 'placement',
    kind: 'engine',
    killable: true,
    command: bins.placement,
    args: [
      '--port',
      String(placementPort),
      '--listen-address',
      LOOPBACK,
      '--healthz-port',
      String(placementHealthz),
      '--healthz-listen-address',
      LOOPBACK,
      '--metrics-port',
      String(await portFor('placement-metrics')),
      '--metrics-listen-address',
      LOOPBACK,
      '--id',
      'dapr-placement-0',
      '--initial-cluster',
      `dapr-placement-0=${LOOPBACK}:${await portFor('placement-raft')}`,
      // Placement tables are rebuilt from the sidecars' heartbeats; in-memory raft is Dapr's standalone default.
      '--inmem-store-enabled=true',
      '--log-level',
      logLevel,
    ],
    ready: { http: `http://${LOOPBACK}:${placementHealthz}/healthz` },
  });

  const schedulerPort = await portFor('scheduler');
  const schedulerHealthz = await portFor('scheduler-healthz');
  processes.push({
    name: 'scheduler',
    kind: 'engine',
    killable: true,
    command: bins.scheduler,
    args: [
      '--port',
      String(schedulerPort),
      '--listen-address',
      LOOPBACK,
      '--override-broadcast-host-port',
      `${LOOPBACK}:${schedulerPort}`,
      '--healthz-port',
      String(schedulerHealthz),
      '--healthz-listen-address',
      LOOPBACK,
      '--metrics-port',
      String(await portFor('scheduler-metrics')),
      '--metrics-listen-address',
      LOOPBACK,
      '--id',
      'dapr-scheduler-server-0',
      // Embedded etcd keeps durable timers and reminders on disk: they survive a scheduler restart.
      '--etcd-data-dir',
      join(dataDir, 'scheduler'),
      '--etcd-client-port',
      String(await portFor('scheduler-etcd-client')),
      '--etcd-client-listen-address',
      LOOPBACK,
      '--etcd-initial-cluster',
      `dapr-scheduler-server-0=http://${LOOPBACK}:${await portFor('scheduler-etcd-peer')}`,
      '--identity-directory-write',
      join(dataDir, 'scheduler-identity'),
      '--log-level',
      logLevel,
    ],
    ready: { http: `http://${LOOPBACK}:${schedulerHealthz}/healthz` },
    readyTimeoutMs: 180_000,
  });

  /** One daprd sidecar; `actors` for the workflow app's (placement + scheduler). */
  async function sidecar(
    appId: string,
    name: string,
    opts: { appPort?: number; actors: boolean; dependsOn: string[] },
  ) {
    const http = await portFor(`${name}-http`);
    const grpc = await portFor(`${name}-grpc`);
    const healthz = await portFor(`${name}-healthz`);
    const spec: ProcessSpec = {
      name,
      kind: 'sidecar',
      killable: true,
      command: bins.daprd,
      args: [
        '--mode',
        'standalone',
        '--app-id',
        appId,
        '--dapr-listen-addresses',
        LOOPBACK,
        '--dapr-http-port',
        String(http),
        '--dapr-grpc-port',
        String(grpc),
        '--dapr-internal-grpc-port',
        String(await portFor(`${name}-internal`)),
        '--dapr-internal-grpc-listen-address',
        LOOPBACK,
        '--dapr-public-port',
        String(healthz),
        '--dapr-public-listen-address',
        LOOPBACK,
        '--metrics-port',
        String(await portFor(`${name}-metrics`)),
        '--metrics-listen-address',
        LOOPBACK,
        '--resources-path',
        resources,
        '--config',
        join(resources, 'config.yaml'),
        '--dapr-graceful-shutdown-seconds',
        '2',
        '--log-level',
        logLevel,
        ...(opts.appPort
          ? ['--app-port', String(opts.appPort), '--app-protocol', 'http', '--app-channel-address', LOOPBACK]
          : []),
        ...(opts.actors
          ? [
              '--placement-host-address',
              `${LOOPBACK}:${placementPort}`,
              '--scheduler-host-address',
              `${LOOPBACK}:${schedulerPort}`,
            ]
          : []),
      ],
      // The name resolver records this address in the shared SQLite file; loopback, not the LAN IP.
      env: { DAPR_HOST_IP: LOOPBACK },
      cwd: dataDir,
      dependsOn: opts.dependsOn,
      ready: { http: `http://${LOOPBACK}:${healthz}/v1.0/healthz` },
    };
    return { spec, http, grpc };
  }

  const appIds = {
    split: 'invoice-split',
    extract: 'invoice-extract',
    aggregate: 'invoice-aggregate',
  } as const;
  // `workers=N` (default 1): N replicas of the extract service behind its one app id, each with
  // its own daprd, as Dapr runs replicas. Each sidecar registers its own row in the sqlite name
  // resolver and every invocation picks one of the live rows at random (components-contrib
  // nameresolution/sqlite ResolveID: ORDER BY RANDOM()). Replica 1 keeps the names of the
  // default topology (extract, extract-dapr), so that one is unchanged.
  const workers = Number(ctx.settings.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`dapr: settings.workers must be a positive integer, not "${ctx.settings.workers}"`);
  const replicas = (service: 'split' | 'extract' | 'aggregate') =>
    Array.from({ length: service === 'extract' ? workers : 1 }, (_, i) =>
      i === 0 ? service : `${service}-${i + 1}`,
    );
  const extractWorkers = replicas('extract');
  const serviceSidecars: string[] = [];
  for (const service of ['split', 'extract', 'aggregate'] as const) {
    for (const name of replicas(service)) {
      const port = await portFor(name);
      processes.push({ ...activityServiceProcess(ctx, service, port, llm.url), name });
      // daprd waits for its app's port before it reports healthy, so the service starts first.
      const car = await sidecar(appIds[service], `${name}-dapr`, {
        appPort: port,
        actors: false,
        dependsOn: [name],
      });
      processes.push(car.spec);
      serviceSidecars.push(car.spec.name);
    }
  }

  const workflowCar = await sidecar('invoice-workflow', 'workflow-dapr', {
    actors: true,
    dependsOn: ['placement', 'scheduler', ...(state === 'redis' ? ['redis'] : [])],
  });
  processes.push(workflowCar.spec);
  const sidecarEnv = {
    DAPR_HOST: LOOPBACK,
    DAPR_GRPC_PORT: String(workflowCar.grpc),
    DAPR_HTTP_PORT: String(workflowCar.http),
  };
  const workflowHealth = await portFor('workflow');
  processes.push({
    name: 'workflow',
    kind: 'worker',
    killable: true,
    ...tsxCommand(ctx, 'dapr/src/workflow-app.ts'),
    env: {
      ...sidecarEnv,
      PORT: String(workflowHealth),
      SPLIT_APP_ID: appIds.split,
      EXTRACT_APP_ID: appIds.extract,
      AGGREGATE_APP_ID: appIds.aggregate,
      // Above the sidecar's cap, so the SDK worker never queues (see workflow-app.ts).
      // --set workerConcurrency=10 reproduces the SDK's own default, for comparison.
      DAPR_WORKER_CONCURRENCY: ctx.settings.workerConcurrency ?? String(maxActivities + 64),
    },
    dependsOn: ['workflow-dapr', ...serviceSidecars],
    ready: { http: `http://${LOOPBACK}:${workflowHealth}/healthz` },
  });

  const apiPort = await portFor('api');
  const apiUrl = `http://${LOOPBACK}:${apiPort}`;
  processes.push({
    name: 'api',
    kind: 'api',
    killable: true,
    ...tsxCommand(ctx, 'dapr/src/api.ts'),
    env: { ...sidecarEnv, PORT: String(apiPort) },
    dependsOn: ['workflow'],
    ready: { http: `${apiUrl}/healthz` },
  });

  return {
    stack: 'dapr',
    description: `Dapr Workflow ${state === 'redis' ? '(state.redis)' : '(state.sqlite)'}: workflow app + split/extract/aggregate services, each behind its own daprd${workers > 1 ? `; ${workers} extract replicas` : ''}`,
    processes,
    apiUrl,
    llmUrl: llm.url,
    links: {
      'workflow sidecar metadata': `http://${LOOPBACK}:${workflowCar.http}/v1.0/metadata`,
    },
    sharedEnv: { ...localBlobEnv(ctx), LLM_URL: llm.url },
    orchestrationFile: 'dapr/src/workflow.ts',
    // The extract service processes, not their sidecars: killing one leaves its daprd registered
    // in the name resolver, which is the harder case (SPEC.md, issue 16).
    extractWorkers,
    // The workflow actor's rows in the sqlite state store: history, inbox and metadata keys.
    stateSize:
      state === 'sqlite'
        ? async (invoiceId) => {
            const db = new Database(join(dataDir, 'workflow-state.db'), {
              readonly: true,
              fileMustExist: true,
            });
            try {
              const row = db
                .prepare(
                  'SELECT COUNT(*) AS n, SUM(LENGTH(key) + LENGTH(value)) AS bytes FROM state WHERE key LIKE ?',
                )
                .get(`%||${invoiceId}||%`) as { n: number; bytes: number | null };
              return {
                bytes: row.bytes ?? 0,
                events: row.n,
                what: 'state.sqlite keys of the workflow actor (events = keys)',
              };
            } finally {
              db.close();
            }
          }
        : undefined,
  };
};
export default topology;
