/**
 * The qualitative rows of the decision table, written by hand. Each cell is a short value and the
 * evidence for it: code or a test in this repo, a section of the matrix, or an upstream source.
 * Links are relative to docs/ (where comparison-matrix.md lives); `#...` is a matrix section.
 *
 * The rows are the proof of concept's own decision matrix (language support, learning curve,
 * setup complexity, determinism requirement, debugging experience, multi-service decoupling,
 * fan-out/fan-in, cost, best for) plus versioning in flight. A value here claims only what the
 * linked evidence shows; what we could not see on this machine says so.
 */

export type Evidence = { label: string; href: string };
export type FactCell = { value: string; evidence: Evidence[] };
export type StackId = 'custom-engine' | 'temporal' | 'dapr' | 'azure-durable-functions' | 'prefect';
export type FactRow = { question: string; cells: Record<StackId, FactCell> };

const code = (path: string, label = path.split('/').pop() ?? path): Evidence => ({
  label,
  href: `../${path}`,
});
const section = (label: string, anchor: string): Evidence => ({ label, href: `#${anchor}` });
const web = (label: string, href: string): Evidence => ({ label, href });

export const FACT_ROWS: FactRow[] = [
  {
    question: 'Language support',
    cells: {
      'custom-engine': {
        value: 'TypeScript only (an npm library); runs start over HTTP from any language',
        evidence: [code('custom-engine/src/engine/api.ts')],
      },
      temporal: {
        value: 'Go, Java, Python, TypeScript, .NET, PHP, Ruby; mixable per task queue',
        evidence: [web('SDKs', 'https://docs.temporal.io/develop')],
      },
      dapr: {
        value: '.NET, Java, Python, Go, JavaScript; the JS SDK lacks retry policies',
        evidence: [
          web(
            'workflow overview',
            'https://docs.dapr.io/developing-applications/building-blocks/workflow/workflow-overview/',
          ),
          web('dapr/js-sdk#840', 'https://github.com/dapr/js-sdk/issues/840'),
        ],
      },
      'azure-durable-functions': {
        value: 'C#, JavaScript/TypeScript, Python, PowerShell, Java',
        evidence: [
          web(
            'overview',
            'https://learn.microsoft.com/en-us/azure/azure-functions/durable/durable-functions-overview',
          ),
        ],
      },
      prefect: {
        value: 'Python only (flows and tasks); here the tasks call the TypeScript activities over HTTP',
        evidence: [code('prefect/src/invoice_flow/flow.py'), code('shared/src/flow/activity-service.ts')],
      },
    },
  },
  {
    question: 'Learning curve (what you must learn)',
    cells: {
      'custom-engine': {
        value: 'a DAG definition and idempotent handlers; plus the engine you maintain',
        evidence: [
          code('custom-engine/src/engine/definition.ts'),
          code('custom-engine/src/invoice-workflow.ts'),
        ],
      },
      temporal: {
        value: 'workflow/activity split, sandbox, task queues, patching',
        evidence: [code('temporal/src/workflows.ts'), section('determinism rules', 'determinism-rules')],
      },
      dapr: {
        value: 'replay rules, sidecars, placement, scheduler; retries by hand in JS',
        evidence: [code('dapr/src/workflow.ts'), code('dapr/src/retry.ts')],
      },
      'azure-durable-functions': {
        value: 'replay rules, triggers and bindings, task hubs',
        evidence: [
          code('azure-durable-functions/src/orchestrator.ts'),
          section('determinism rules', 'determinism-rules'),
        ],
      },
      prefect: {
        value:
          'flows, tasks, deployments, work pools and workers; result persistence and cache policies for recovery',
        evidence: [code('prefect/src/invoice_flow/flow.py'), code('prefect/src/invoice_flow/deploy.py')],
      },
    },
  },
  {
    question: 'Setup complexity (here, no Docker)',
    cells: {
      'custom-engine': {
        value: '`pnpm install`; SQLite, or PostgreSQL from apt',
        evidence: [section('local developer experience', 'local-developer-experience')],
      },
      temporal: {
        value: 'one Go-built binary (`temporal server start-dev`)',
        evidence: [
          code('tools/engines/temporal.sh'),
          section('local developer experience', 'local-developer-experience'),
        ],
      },
      dapr: {
        value: 'daprd, placement, scheduler from source; a sidecar per app',
        evidence: [code('tools/engines/dapr.sh'), code('dapr/topology.ts')],
      },
      'azure-durable-functions': {
        value: 'Functions host not installable here; replay test host + Azurite',
        evidence: [
          code('azure-durable-functions/SPEC.md', 'SPEC'),
          section('local developer experience', 'local-developer-experience'),
        ],
      },
      prefect: {
        value: 'a hash-locked PyPI venv; `prefect server start` on SQLite, a process worker',
        evidence: [code('tools/engines/prefect.sh'), code('prefect/topology.ts')],
      },
    },
  },
  {
    question: 'Determinism requirement',
    cells: {
      'custom-engine': {
        value: 'none: no replay; handlers must be idempotent',
        evidence: [
          code('custom-engine/src/engine/store.ts'),
          section('determinism rules', 'determinism-rules'),
        ],
      },
      temporal: {
        value: 'yes, enforced by a sandbox',
        evidence: [section('determinism rules', 'determinism-rules'), code('temporal/src/workflows.ts')],
      },
      dapr: {
        value: 'yes, no sandbox (our jitter is hashed for replay)',
        evidence: [code('dapr/src/retry.ts'), section('determinism rules', 'determinism-rules')],
      },
      'azure-durable-functions': {
        value:
          'yes, no sandbox; replay checks only action type and activity name per step: a reordered same-named fan-out or Date.now() in an input replays silently',
        evidence: [
          code('azure-durable-functions/test/replay.test.ts', 'replay.test.ts'),
          section('determinism rules', 'determinism-rules'),
        ],
      },
      prefect: {
        value:
          'none: no replay; a resubmitted run reuses persisted task results by input (`cache_policy=INPUTS`)',
        evidence: [code('prefect/src/invoice_flow/flow.py'), code('prefect/SPEC.md', 'SPEC')],
      },
    },
  },
  {
    question: 'Debugging experience',
    cells: {
      'custom-engine': {
        value: 'SQL, an execution view and a Mermaid diagram; no UI',
        evidence: [
          code('custom-engine/src/engine/views.ts'),
          code('custom-engine/test/invoice.test.ts', 'invoice.test.ts'),
        ],
      },
      temporal: {
        value: 'Web UI with the full event history',
        evidence: [
          code('temporal/topology.ts'),
          web('dev server', 'https://docs.temporal.io/develop/run-a-development-server'),
        ],
      },
      dapr: {
        value: 'status over the sidecar API; no dashboard run here',
        evidence: [code('dapr/src/api.ts')],
      },
      'azure-durable-functions': {
        value: 'not seen here (no Functions host); history as JSON lines',
        evidence: [code('azure-durable-functions/test-host/history-log.ts')],
      },
      prefect: {
        value: 'the Prefect UI (`--set ui=true`) with flow and task run states and logs',
        evidence: [code('prefect/topology.ts')],
      },
    },
  },
  {
    question: 'Multi-service decoupling',
    cells: {
      'custom-engine': {
        value: 'workers claim steps from the database',
        evidence: [code('custom-engine/src/engine/worker.ts')],
      },
      temporal: {
        value: 'a task queue per role, a worker per queue',
        evidence: [code('temporal/src/task-queues.ts'), code('temporal/topology.ts')],
      },
      dapr: {
        value: 'activities in separate apps, via sidecars by app id',
        evidence: [code('dapr/src/activities.ts'), code('dapr/topology.ts')],
      },
      'azure-durable-functions': {
        value: 'functions in one function app',
        evidence: [code('azure-durable-functions/src/functions.ts')],
      },
      prefect: {
        value: 'a worker per work pool starts one flow process per run; tasks are threads in it',
        evidence: [code('prefect/topology.ts'), code('prefect/src/invoice_flow/flow.py')],
      },
    },
  },
  {
    question: 'Fan-out / fan-in',
    cells: {
      'custom-engine': {
        value: 'a `map` step, one durable row per page',
        evidence: [
          code('custom-engine/src/invoice-workflow.ts'),
          section('partial failure at fan-in', 'partial-failure-at-fan-in'),
        ],
      },
      temporal: {
        value: '`Promise.all`; retries on the server',
        evidence: [code('temporal/src/workflows.ts')],
      },
      dapr: {
        value: 'a `whenAny` loop with durable timers (our retries)',
        evidence: [
          code('dapr/src/retry.ts'),
          section('partial failure at fan-in', 'partial-failure-at-fan-in'),
        ],
      },
      'azure-durable-functions': {
        value: '`Task.all`; throws on the first failure',
        evidence: [
          code('azure-durable-functions/src/orchestrator.ts'),
          web('durable-js#477', 'https://github.com/Azure/azure-functions-durable-js/issues/477'),
        ],
      },
      prefect: {
        value: '`extract.map(pages)` on a `ThreadPoolTaskRunner`; each task state goes to the server',
        evidence: [code('prefect/src/invoice_flow/flow.py')],
      },
    },
  },
  {
    question: 'Cost model (what you are billed for)',
    cells: {
      'custom-engine': {
        value: 'your DB writes and compute, plus engine on-call',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          section('cost model', 'cost-model'),
        ],
      },
      temporal: {
        value: 'self-hosted cluster, or Cloud Actions + storage',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          web('actions', 'https://docs.temporal.io/cloud/actions'),
        ],
      },
      dapr: {
        value: 'self-hosted compute and state-store operations',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          web('azure-container-apps#762', 'https://github.com/microsoft/azure-container-apps/issues/762'),
        ],
      },
      'azure-durable-functions': {
        value: 'executions, GB-seconds, Storage transactions',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          web(
            'DF billing',
            'https://learn.microsoft.com/en-us/azure/azure-functions/durable/durable-functions-billing',
          ),
        ],
      },
      prefect: {
        value: 'self-hosted server, database and worker compute (or Prefect Cloud); a Python process per run',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          code('prefect/SPEC.md', 'SPEC'),
        ],
      },
    },
  },
  {
    question: 'Versioning in flight',
    cells: {
      'custom-engine': {
        value: 'runs pin their definition version',
        evidence: [
          code('custom-engine/src/engine/store.ts'),
          section('versioning in flight', 'versioning-in-flight'),
        ],
      },
      temporal: {
        value: '`patched()` or Worker Versioning',
        evidence: [section('versioning in flight', 'versioning-in-flight')],
      },
      dapr: {
        value: 'patches only from JS SDK 3.19 (we run 3.18)',
        evidence: [section('versioning in flight', 'versioning-in-flight')],
      },
      'azure-durable-functions': {
        value: 'versioning in preview; unverified for JS',
        evidence: [section('versioning in flight', 'versioning-in-flight')],
      },
      prefect: {
        value: 'no replay, so no patching; a resubmitted run loads the code the deployment points at then',
        evidence: [code('prefect/src/invoice_flow/deploy.py'), code('prefect/SPEC.md', 'SPEC')],
      },
    },
  },
  {
    question: 'Best for',
    cells: {
      'custom-engine': {
        value: 'owning every line, with staff for it',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      temporal: {
        value: 'critical long-running flows, mature tooling',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      dapr: {
        value: 'polyglot services already on Dapr',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      'azure-durable-functions': {
        value: 'Azure shops wanting serverless billing',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      prefect: {
        value: 'Python data pipelines that want a UI and task retries, and accept a process per run',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
    },
  },
];
