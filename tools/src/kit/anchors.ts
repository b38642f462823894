/**
 * Published figures to read the engine-only numbers against. Each is the vendor's own
 * measurement on its own hardware and workload, quoted with its conditions: an order of
 * magnitude to compare with, not a number this machine should reproduce.
 */
export type Anchor = { engine: string; figure: string; conditions: string; source: string };

export const PUBLISHED_ANCHORS: Anchor[] = [
  {
    engine: 'dapr',
    figure: '97.91 workflows/s; duration p50 1.06 s, p90 1.27 s, p95 1.31 s',
    conditions:
      'Dapr v1.17 perf suite, TestParallelWorkflowWithMaxVUs: sum_parallel_wf (5 activities in parallel), 110 concurrent workflows (VUs), 440 runs, one app + sidecar on Kubernetes',
    source: 'https://github.com/dapr/dapr/blob/master/tests/perf/report/charts/v1.17.0/workflows/README.md',
  },
  {
    engine: 'dapr',
    figure: '57.43 workflows/s; duration p50 6.06 s',
    conditions: 'same suite, TestSeriesWorkflowWithMaxVUs: 5 chained activities, 350 VUs, 1,400 runs',
    source: 'https://github.com/dapr/dapr/blob/master/tests/perf/workflows/README.md',
  },
  {
    engine: 'azure-durable-functions',
    figure: 'fan-out 100 activities/s per instance; fan-in 150 responses/s; sequential 5 activities/s',
    conditions:
      'Azure Storage provider, one orchestrator instance on a single small (A1) VM, extended sessions on ("expected maximum throughput")',
    source: 'https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-perf-and-scale',
  },
  {
    engine: 'azure-durable-functions',
    figure: 'Netherite 565 / 1,708 / 3,390 events/s on EP1 / EP2 / EP3 (Azure Storage: 315 / 445 / 484)',
    conditions:
      'HelloCities5 (5 sequential short activities), 1,000 orchestrations on one node; an activity call and its response are 2 events, so ~280–1,700 activities/s',
    source: 'https://github.com/microsoft/durabletask-netherite/blob/main/docs/throughput.md',
  },
  {
    engine: 'temporal',
    figure: 'minimum workflow end-to-end latency around 100 ms (Temporal Cloud)',
    conditions:
      "Temporal's own statement on latency-sensitive workflows; self-hosted latency depends on the persistence store",
    source: 'https://temporal.io/blog/reduce-latency-and-speed-up-your-temporal-workflows',
  },
  {
    engine: 'temporal',
    figure:
      'Temporal Cloud completes workflows about 2× faster than a self-hosted service (p50 and p90 of 5 SDK latency metrics)',
    conditions:
      'Temporal benchmark, workers in the same region as the service; figures per metric in the post',
    source: 'https://temporal.io/blog/benchmarking-latency-temporal-cloud-vs-self-hosted-temporal',
  },
  {
    engine: 'custom-engine',
    figure: 'graphile-worker: 4.16 ms average from add_job to job start (max 13.84 ms); ~183,000 jobs/s',
    conditions:
      'a PostgreSQL job queue on Node.js (the class of design the custom engine belongs to), concurrentJobs 24, localQueue 500, "optimal conditions"',
    source: 'https://worker.graphile.org/docs/performance',
  },
];
