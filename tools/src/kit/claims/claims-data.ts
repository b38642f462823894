/**
 * Every quantitative claim in the two reference documents this project started from, quoted
 * word for word so that this repo stands alone:
 *
 * - "research-temporal-prefect-celery.md": research notes that recommend Temporal for a document
 *   pipeline (sections "Technology Comparison", "Performance and Scalability", "Cost Analysis").
 * - "orchestration-theory.md": notes on workflow orchestration theory.
 *
 * Each claim names the conditions it was made under (as stated, or "none stated") and either a
 * `measure` (what of ours to put beside it, see claims.ts) or `untestable` (why it cannot be
 * tested on this machine). A few claims that are checkable but not numbers (at-least-once
 * delivery duplicates, higher resource usage) are kept because we measure exactly that.
 */

export type ClaimSource = 'research-temporal-prefect-celery.md' | 'orchestration-theory.md';

export type MeasureKey =
  | 'concurrentInvoices'
  | 'workflowsPerSec'
  | 'activitiesPerSec'
  | 'simpleWorkflowLatency'
  | 'resourceUsage'
  | 'killsSurvived'
  | 'duplicatesPerCrash'
  | 'parallelSpeedup';

export type Claim = {
  id: string;
  quote: string;
  source: ClaimSource;
  section: string;
  /** what the claim is said to hold for */
  conditions: string;
} & ({ measure: MeasureKey; untestable?: undefined } | { untestable: string; measure?: undefined });

const R: ClaimSource = 'research-temporal-prefect-celery.md';
const T: ClaimSource = 'orchestration-theory.md';

export const CLAIMS: Claim[] = [
  {
    id: 'temporal-millions-concurrent',
    quote: 'Scalability: Handles millions of concurrent workflow executions',
    source: R,
    section: 'Technology Comparison / Temporal / Strengths',
    conditions: 'none stated (a Temporal cluster is implied)',
    measure: 'concurrentInvoices',
  },
  {
    id: 'temporal-10k-workflows-per-sec',
    quote: 'Temporal: 10,000+ workflow executions per second',
    source: R,
    section: 'Performance and Scalability / Throughput Estimates',
    conditions: 'none stated: no cluster size, persistence, workflow shape or history length',
    measure: 'workflowsPerSec',
  },
  {
    id: 'temporal-100k-activities-per-worker',
    quote: 'Activity Throughput: 100,000+ activities per second per worker',
    source: R,
    section: 'Performance and Scalability / Throughput Estimates',
    conditions: 'none stated: no activity duration, worker size or server capacity',
    measure: 'activitiesPerSec',
  },
  {
    id: 'temporal-sub-100ms',
    quote: 'Latency: Sub-100ms for simple workflows',
    source: R,
    section: 'Performance and Scalability / Throughput Estimates',
    conditions: '"simple workflows"; no definition, percentile or load stated',
    measure: 'simpleWorkflowLatency',
  },
  {
    id: 'temporal-99.99-reliability',
    quote: 'Durability: 99.99% reliability with proper cluster setup',
    source: R,
    section: 'Performance and Scalability / Throughput Estimates',
    conditions: '"proper cluster setup"; the period and the failure definition are not stated',
    measure: 'killsSurvived',
  },
  {
    id: 'temporal-higher-resources',
    quote: 'Resource Usage: Higher memory and compute requirements',
    source: R,
    section: 'Technology Comparison / Temporal / Weaknesses',
    conditions: 'relative to Prefect and Celery; no figures',
    measure: 'resourceUsage',
  },
  {
    id: 'scaling-rule',
    quote: '1 worker per 100 pending tasks ... Max 20 workers',
    source: R,
    section: 'Performance and Scalability / Scaling Strategy (code)',
    conditions: 'an auto-scaling rule for Kubernetes workers',
    untestable: 'a sizing rule, not a measurement; this machine has 2 cores and no Kubernetes',
  },
  {
    id: 'cost-cluster',
    quote: 'Temporal Cluster: $500-2000 (depending on scale)',
    source: R,
    section: 'Cost Analysis / Infrastructure Costs (monthly)',
    conditions: 'monthly, "depending on scale"; no provider, region or load',
    untestable:
      'the repo quotes no prices; the cost table gives billing units per 1,000 invoices for your own prices (`pnpm cost`)',
  },
  {
    id: 'cost-workers',
    quote: 'Workers: $200-1000 (based on throughput requirements)',
    source: R,
    section: 'Cost Analysis / Infrastructure Costs (monthly)',
    conditions: 'monthly, "based on throughput requirements"',
    untestable:
      'the repo quotes no prices; CPU-seconds and GB-seconds per 1,000 invoices are in the cost table',
  },
  {
    id: 'cost-monitoring',
    quote: 'Monitoring: $100-300 (Prometheus, Grafana)',
    source: R,
    section: 'Cost Analysis / Infrastructure Costs (monthly)',
    conditions: 'monthly',
    untestable: 'we run no monitoring stack and quote no prices',
  },
  {
    id: 'cost-total',
    quote: 'Total: $800-3300 per month',
    source: R,
    section: 'Cost Analysis / Infrastructure Costs (monthly)',
    conditions: 'the sum of the three ranges above',
    untestable: 'the repo quotes no prices',
  },
  {
    id: 'benefit-availability',
    quote: 'Reduced Downtime: 99.9% vs 95% availability = $10,000+ saved incidents',
    source: R,
    section: 'Cost Analysis / Operational Benefits',
    conditions: 'none stated',
    untestable: 'availability over months of production; we run minutes on one machine',
  },
  {
    id: 'benefit-dev-time',
    quote: 'Faster Development: 50% reduction in workflow development time',
    source: R,
    section: 'Cost Analysis / Operational Benefits',
    conditions: 'none stated (baseline unknown)',
    untestable:
      'development time was not recorded; the nearest proxy we have is lines of code per stack (Code and footprint)',
  },
  {
    id: 'benefit-incidents',
    quote: 'Better Observability: 80% faster incident resolution',
    source: R,
    section: 'Cost Analysis / Operational Benefits',
    conditions: 'none stated',
    untestable: 'needs production incidents',
  },
  {
    id: 'long-running-hours-days',
    quote: 'Long-running document processing pipelines (hours/days)',
    source: R,
    section: 'Technology Comparison / Temporal / Use Cases',
    conditions: 'a use case, implying runs of hours or days',
    untestable: 'our runs last seconds to minutes; durable waits longer than a test are not exercised here',
  },
  {
    id: 'theory-days-months',
    quote: 'Handles long-running workflows (days/months)',
    source: T,
    section: 'Workflow Engines Comparison / Temporal / Strengths',
    conditions: 'none stated',
    untestable: 'our runs last seconds to minutes',
  },
  {
    id: 'theory-at-least-once',
    quote: 'At-least-once: May duplicate events',
    source: T,
    section: 'Workflow Pattern Categories / Event-Driven Architecture / Guarantees',
    conditions: 'a delivery guarantee; no rate stated',
    measure: 'duplicatesPerCrash',
  },
  {
    id: 'theory-amdahl',
    quote: 'Speedup = 1 / ((1 - P) + P/N)',
    source: T,
    section: "Performance Optimization / Parallelization (Amdahl's Law)",
    conditions: 'P = parallelizable fraction, N = number of processors',
    measure: 'parallelSpeedup',
  },
  {
    id: 'theory-graph-complexity',
    quote: 'Topological sort: O(V + E) / Cycle detection: O(V + E) / Critical path: O(V + E)',
    source: T,
    section: 'Workflow Pattern Categories / Graph-Based (DAG) / Complexity',
    conditions: 'textbook bounds for a DAG with V tasks and E dependencies',
    untestable:
      'algorithmic facts, not engine claims; the custom engine checks its 3-step DAG for cycles once per definition (custom-engine/src/engine/definition.ts)',
  },
  {
    id: 'theory-jitter',
    quote: 'wait_time = base_delay × (multiplier ^ attempt) × random(0.5, 1.5)',
    source: T,
    section: 'Error Handling Theory / Retry Strategies / Jittered Backoff',
    conditions: 'a formula, ±50 % jitter',
    untestable:
      'a design choice, not a measurement: every stack here uses the shared ±20 % policy (shared/src/llm/retry-policy.ts)',
  },
  {
    id: 'theory-40-patterns',
    quote: 'Catalog of 40+ workflow patterns (van der Aalst)',
    source: T,
    section: 'Academic Foundations / Workflow Patterns',
    conditions: 'a bibliography count',
    untestable: 'about the literature, not the engines',
  },
];
