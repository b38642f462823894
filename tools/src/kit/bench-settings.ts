/**
 * What every benchmark holds equal across stacks, and what it states beside each stack's
 * numbers: the cap on activities in flight, each engine's durability setting, and which stacks
 * are stand-ins that must never be ranked.
 */

/**
 * The most activities one stack runs at once, in every benchmark. The stacks' own defaults
 * differ (Temporal's extract worker 100 slots, custom engine 200, Durable Functions 200, Dapr
 * 512); at N = 200 that made Temporal run in two waves and the others in one. 256 is above every
 * fan-out the latency sweep uses, so no stack queues its own activities there.
 */
export const MAX_ACTIVITIES_IN_FLIGHT = 256;

/** The launcher settings that apply MAX_ACTIVITIES_IN_FLIGHT to each stack. */
export function capSettings(stack: string, cap = MAX_ACTIVITIES_IN_FLIGHT): Record<string, string> {
  const n = String(cap);
  switch (stack) {
    case 'custom-engine':
      return { CE_CONCURRENCY: n }; // worker claim slots (custom-engine/src/worker-main.ts)
    case 'temporal':
      return { EXTRACT_MAX_CONCURRENT: n }; // extract worker's maxConcurrentActivityTaskExecutions
    case 'dapr':
      return { maxActivities: n }; // sidecar's maxConcurrentActivityInvocations (SDK worker + 64)
    case 'azure-durable-functions':
      return { DF_MAX_CONCURRENT_ACTIVITIES: n }; // host.json maxConcurrentActivityFunctions
    case 'prefect':
      // The flow's ThreadPoolTaskRunner(max_workers), on the PostgreSQL server: on SQLite the
      // server answers 503 "database is locked" while 20 invoices arrive at once (prefect/SPEC.md,
      // "SQLite under concurrent uploads"); Prefect's docs recommend PostgreSQL for production.
      return { EXTRACT_MAX_CONCURRENT: n, variant: 'postgres' };
    default:
      return {}; // reference: Promise.all over the pages, no cap (N <= 200 < cap in the sweep)
  }
}

/** How each stack's cap is set, for the matrix. */
export const CAP_KNOBS: Record<string, string> = {
  reference: 'none (`Promise.all`); every sweep fan-out is below the cap',
  'custom-engine': '`CE_CONCURRENCY` (worker claim slots; default 200)',
  temporal: '`EXTRACT_MAX_CONCURRENT` (extract worker activity slots; default 100)',
  dapr: '`maxConcurrentActivityInvocations` via `--set maxActivities` (default 512)',
  'azure-durable-functions':
    '`maxConcurrentActivityFunctions` via `DF_MAX_CONCURRENT_ACTIVITIES` (default 200)',
  prefect: '`ThreadPoolTaskRunner(max_workers)` via `EXTRACT_MAX_CONCURRENT` (default 100)',
};

/**
 * Stacks that run on something standing in for the real product: their numbers are shown,
 * labelled, and never ranked against the others.
 */
export const STAND_INS: Record<string, string> = {
  'azure-durable-functions':
    "the SDK's own replay executor in our test host stands in for the Functions host, which cannot be installed here",
};
export const isStandIn = (stack: string) => stack in STAND_INS;

export type Durability = {
  /** does one step's commit wait for an fsync before the engine goes on? */
  fsyncPerCommit: 'yes' | 'no' | 'n/a';
  statement: string;
  source: string;
};

/**
 * Each engine's durability setting as run here, read from the real code (versions as built
 * by tools/engines/). A commit that does not wait for an fsync survives a process crash (every
 * kill the chaos tool does) but may be lost on an OS crash or power cut.
 */
export const DURABILITY: Record<string, Durability> = {
  reference: {
    fsyncPerCommit: 'n/a',
    statement: 'no durable state at all',
    source: 'tools/src/reference/pipeline.ts',
  },
  'custom-engine': {
    fsyncPerCommit: 'no',
    statement:
      'SQLite in WAL mode with `synchronous=NORMAL`: a commit is written to the WAL but not fsynced (fsync at checkpoints). The `synchronous=FULL` variant fsyncs the WAL on every commit and is measured too.',
    source: 'custom-engine/src/engine/db.ts (`CE_SQLITE_SYNCHRONOUS`)',
  },
  'custom-engine-sync-full': {
    fsyncPerCommit: 'yes',
    statement: 'SQLite in WAL mode with `synchronous=FULL`: every commit fsyncs the WAL.',
    source: 'custom-engine/src/engine/db.ts, `--set CE_SQLITE_SYNCHRONOUS=FULL`',
  },
  temporal: {
    fsyncPerCommit: 'yes',
    statement:
      "dev server on a SQLite file (`--db-filename`), connect attributes `mode=rwc` and no `--sqlite-pragma`: SQLite's defaults, rollback journal with `synchronous=FULL` (modernc.org/sqlite compiles `SQLITE_DEFAULT_SYNCHRONOUS = 2`), so every persistence transaction fsyncs.",
    source:
      'temporalio/cli v1.5.1 temporalcli/devserver/server.go `buildSQLConfig`; go.temporal.io/server v1.29.1 common/persistence/sql/sqlplugin/sqlite/plugin.go; modernc.org/sqlite v1.34.1 lib/sqlite_linux_amd64.go',
  },
  dapr: {
    fsyncPerCommit: 'no',
    statement:
      "workflow state in `state.sqlite`: Dapr opens it in WAL mode (`journal_mode(WAL)` unless `disableWAL`) and our component sets `synchronous(NORMAL)`, so an actor-state commit does not wait for an fsync. The scheduler's embedded etcd (reminders, timers) keeps etcd's default fsync of its WAL.",
    source:
      'dapr/components-contrib v1.18.3 common/authentication/sqlite/metadata.go; dapr/components/statestore-sqlite.yaml',
  },
  'azure-durable-functions': {
    fsyncPerCommit: 'no',
    statement:
      'test host: history appended to a JSON-lines file per instance with `appendFile`, no fsync; blobs on Azurite. (The real Azure Storage provider commits to a replicated cloud table before it acks.)',
    source: 'azure-durable-functions/test-host/history-log.ts',
  },
  prefect: {
    fsyncPerCommit: 'yes',
    statement:
      "Prefect server on PostgreSQL 15 (Debian), PostgreSQL's defaults (`fsync = on`, `synchronous_commit = on`): a state commit waits for its WAL to be flushed. PostgreSQL, not Prefect's default SQLite, because on SQLite the server answered 503 `database is locked` to uploads when 20 invoices arrived at once and chaos could not start them (prefect/SPEC.md); Prefect's docs call PostgreSQL \"best for production use, high availability, and multi-server deployments\". (On SQLite, `--set variant=sqlite`, it sets `journal_mode = WAL` and `synchronous = NORMAL`: no fsync per commit.) Task results are persisted as files in the local result storage.",
    source:
      'prefect/topology.ts (`variant=postgres`), tools/src/engines/postgres.ts (`postgresArgs`: no fsync or synchronous_commit override); https://docs.prefect.io/v3/concepts/server; prefect 3.9.1 src/prefect/server/database/configurations.py (`AioSqliteConfiguration.setup_sqlite`)',
  },
};

/** A stack run with other settings, measured as its own column (e.g. the custom engine with fsync). */
export type BenchVariant = {
  id: string;
  stack: string;
  settings: Record<string, string>;
  /** the parts of `compare` it runs (a variant is there for one question, not every table) */
  parts: Array<'fanout' | 'cpu'>;
};

export const VARIANTS: BenchVariant[] = [
  {
    id: 'custom-engine-sync-full',
    stack: 'custom-engine',
    settings: { CE_SQLITE_SYNCHRONOUS: 'FULL' },
    parts: ['fanout', 'cpu'],
  },
];

/**
 * How long chaos waits for a killed stack to finish the interrupted invoice. Durable Functions
 * with the app's own host.json keeps the real Azure Storage provider's timeouts: the work items
 * a killed host had taken stay invisible for 5 min (workItemQueueVisibilityTimeout), so it
 * recovers only after ~5 min, as on Azure (azure-durable-functions/README.md).
 */
export const CHAOS_RECOVERY_BUDGET_MS = 90_000;
/**
 * Prefect queues flow runs behind its worker's limit (10) and each costs a Python start and
 * 7–9 CPU-s: 20 concurrent invoices took 111 s to finish on this machine, with none lost, so a
 * 90 s wait would count queued runs as lost. It waits this long instead, and the matrix says so.
 */
export const PREFECT_CHAOS_BUDGET_MS = 240_000;
export const PREFECT_CHAOS_LABEL = `a ${PREFECT_CHAOS_BUDGET_MS / 1000} s wait for each batch instead of ${CHAOS_RECOVERY_BUDGET_MS / 1000} s: its flow runs queue behind the worker's limit of 10 and cost 7–9 CPU-s each`;
export function chaosRecoveryBudgetMs(stack: string, settings: Record<string, string>): number {
  if (stack === 'prefect') return PREFECT_CHAOS_BUDGET_MS;
  return stack === 'azure-durable-functions' && !settings.DF_HOST_JSON ? 360_000 : CHAOS_RECOVERY_BUDGET_MS;
}

/**
 * The shortened timeouts `pnpm compare` runs Durable Functions with (unless --df-host-json
 * default), so a killed host recovers in well under a minute. The work-item visibility stays
 * above the stack's 30 s attempt timeout, so a hung LLM call is retried by the activity, not
 * redelivered by the queue; the matrix labels every Durable Functions row with these.
 */
export const DF_SHORT_TIMEOUTS = {
  controlQueueVisibilityTimeout: '00:00:20',
  workItemQueueVisibilityTimeout: '00:00:45',
  testHost: { leaseInterval: '00:00:05', leaseRenewInterval: '00:00:02', leaseAcquireInterval: '00:00:01' },
};
export const DF_SHORT_LABEL =
  "a shortened host.json, for the whole instance (so a killed host recovers within chaos's 90 s): work-item visibility 45 s, control-queue visibility 20 s, partition leases 5 s (Azure defaults: 5 min, 5 min, 30 s)";

/** The app's host.json with DF_SHORT_TIMEOUTS applied (a new object; the input is untouched). */
export function shortenedHostJson(hostJson: {
  extensions: { durableTask: { storageProvider: Record<string, unknown> } };
}): Record<string, unknown> {
  const h = structuredClone(hostJson) as typeof hostJson & Record<string, unknown>;
  const { testHost, ...provider } = DF_SHORT_TIMEOUTS;
  Object.assign(h.extensions.durableTask.storageProvider, provider);
  h.testHost = testHost;
  return h;
}
