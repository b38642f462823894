/**
 * The settings the test host applies, read from host.json the way the Functions host and the
 * durable extension read them, falling back to the real defaults where host.json is silent.
 * Sources (SPEC.md "Fidelity" cites the lines):
 * - extension AzureStorageOptions (host.json `extensions.durableTask.storageProvider`):
 *   partitionCount 4, controlQueueVisibilityTimeout 5 min, workItemQueueVisibilityTimeout 5 min,
 *   maxQueuePollingInterval 30 s;
 * - DurableTask.AzureStorage AzureStorageOrchestrationServiceSettings: LeaseInterval 30 s,
 *   LeaseRenewInterval 10 s, LeaseAcquireInterval 10 s. The extension maps none of these from
 *   host.json, so the real host always uses the defaults; only the test host's own `testHost`
 *   section (ignored by the Functions host) can shorten them, for tests that say so;
 * - Functions host `functionTimeout`: 5 min on the Consumption plan when host.json has none.
 */
export type HostJson = {
  functionTimeout?: string;
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      /** the idempotent upload needs NonRunningStates (main.ts refuses anything else) */
      overridableExistingInstanceStates?: string;
      storageProvider?: {
        partitionCount?: number;
        controlQueueVisibilityTimeout?: string;
        workItemQueueVisibilityTimeout?: string;
        maxQueuePollingInterval?: string;
      };
    };
  };
  /** not a Functions setting: what only the test host reads (lease timings the extension never maps) */
  testHost?: { leaseInterval?: string; leaseRenewInterval?: string; leaseAcquireInterval?: string };
};

export type HostSettings = {
  taskHub: string;
  routePrefix: string;
  maxConcurrentActivities: number;
  partitionCount: number;
  controlQueueVisibilityTimeoutMs: number;
  workItemQueueVisibilityTimeoutMs: number;
  maxQueuePollingIntervalMs: number;
  leaseIntervalMs: number;
  leaseRenewIntervalMs: number;
  leaseAcquireIntervalMs: number;
  functionTimeoutMs: number;
};

/** .NET TimeSpan text as host.json writes it: [d.]hh:mm:ss[.fff] */
export function timeSpanMs(text: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a TimeSpan: ${text}`);
  const [, days, h, min, s, frac] = m;
  const fraction = frac ? Number(`0.${frac}`) : 0;
  return Math.round(
    ((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(min) * 60 + Number(s) + fraction) * 1000,
  );
}

/** Formats milliseconds the way .NET prints a TimeSpan (used in the timeout message). */
export function formatTimeSpan(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

const span = (text: string | undefined, fallback: string) => timeSpanMs(text ?? fallback);

export function hostSettings(json: HostJson, cores: number): HostSettings {
  const durable = json.extensions?.durableTask;
  const storage = durable?.storageProvider;
  return {
    taskHub: durable?.hubName ?? 'TestHubName',
    routePrefix: json.extensions?.http?.routePrefix ?? 'api',
    // The extension's default for maxConcurrentActivityFunctions is 10 × processor count.
    maxConcurrentActivities: durable?.maxConcurrentActivityFunctions ?? 10 * cores,
    partitionCount: storage?.partitionCount ?? 4,
    controlQueueVisibilityTimeoutMs: span(storage?.controlQueueVisibilityTimeout, '00:05:00'),
    workItemQueueVisibilityTimeoutMs: span(storage?.workItemQueueVisibilityTimeout, '00:05:00'),
    maxQueuePollingIntervalMs: span(storage?.maxQueuePollingInterval, '00:00:30'),
    leaseIntervalMs: span(json.testHost?.leaseInterval, '00:00:30'),
    leaseRenewIntervalMs: span(json.testHost?.leaseRenewInterval, '00:00:10'),
    leaseAcquireIntervalMs: span(json.testHost?.leaseAcquireInterval, '00:00:10'),
    functionTimeoutMs: span(json.functionTimeout, '00:05:00'),
  };
}

/** FNV-1a (32-bit, UTF-8), as DurableTask.AzureStorage picks an instance's control-queue partition. */
export function partitionOf(instanceId: string, partitionCount: number): number {
  let hash = 2166136261;
  for (const byte of Buffer.from(instanceId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash % partitionCount;
}
