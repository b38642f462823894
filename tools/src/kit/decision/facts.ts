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
export type StackId = 'custom-engine' | 'temporal' | 'dapr' | 'azure-durable-functions';
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
        value:
          'TypeScript on Node: an npm library in this repo. Any language can start and read runs over its HTTP API.',
        evidence: [code('custom-engine/src/engine/api.ts')],
      },
      temporal: {
        value:
          'SDKs for Go, Java, Python, TypeScript, .NET, PHP and Ruby; one workflow may call activities written in another.',
        evidence: [web('SDKs', 'https://docs.temporal.io/develop')],
      },
      dapr: {
        value:
          'Workflow SDKs for .NET, Java, Python, Go and JavaScript. The JS SDK has no activity retry policy.',
        evidence: [
          web(
            'workflow overview',
            'https://docs.dapr.io/developing-applications/building-blocks/workflow/workflow-overview/',
          ),
          web('dapr/js-sdk#840', 'https://github.com/dapr/js-sdk/issues/840'),
        ],
      },
      'azure-durable-functions': {
        value: 'C#, JavaScript/TypeScript, Python, PowerShell and Java.',
        evidence: [
          web(
            'overview',
            'https://learn.microsoft.com/en-us/azure/azure-functions/durable/durable-functions-overview',
          ),
        ],
      },
    },
  },
  {
    question: 'Learning curve (what you must learn)',
    cells: {
      'custom-engine': {
        value:
          'A DAG definition with JSONata item expressions, and idempotent handlers. No replay rules, but you learn the engine you maintain.',
        evidence: [
          code('custom-engine/src/engine/definition.ts'),
          code('custom-engine/src/invoice-workflow.ts'),
        ],
      },
      temporal: {
        value:
          'Workflows vs activities, the deterministic sandbox, task queues and workers, and patching for versions.',
        evidence: [code('temporal/src/workflows.ts'), section('determinism rules', 'determinism-rules')],
      },
      dapr: {
        value:
          'Generator workflows with replay rules, sidecars, app ids, placement and scheduler. Retries must be written by hand in JS.',
        evidence: [code('dapr/src/workflow.ts'), code('dapr/src/retry.ts')],
      },
      'azure-durable-functions': {
        value: 'Generator orchestrators with replay rules, function triggers and bindings, and task hubs.',
        evidence: [
          code('azure-durable-functions/src/orchestrator.ts'),
          section('determinism rules', 'determinism-rules'),
        ],
      },
    },
  },
  {
    question: 'Setup complexity (here, no Docker)',
    cells: {
      'custom-engine': {
        value: 'pnpm install; SQLite file, or PostgreSQL from apt.',
        evidence: [section('local developer experience', 'local-developer-experience')],
      },
      temporal: {
        value: 'One Go-built binary (`temporal server start-dev`) beside the Node workers.',
        evidence: [
          code('tools/engines/temporal.sh'),
          section('local developer experience', 'local-developer-experience'),
        ],
      },
      dapr: {
        value: 'daprd, placement and scheduler built from source, one sidecar per app, and a state store.',
        evidence: [code('tools/engines/dapr.sh'), code('dapr/topology.ts')],
      },
      'azure-durable-functions': {
        value:
          'The Functions host cannot be installed here (its npm package downloads from a CDN). We run a replay test host plus Azurite.',
        evidence: [
          code('azure-durable-functions/SPEC.md', 'SPEC'),
          section('local developer experience', 'local-developer-experience'),
        ],
      },
    },
  },
  {
    question: 'Determinism requirement',
    cells: {
      'custom-engine': {
        value: 'None: nothing is replayed. Step results are committed rows, and handlers must be idempotent.',
        evidence: [
          code('custom-engine/src/engine/store.ts'),
          section('determinism rules', 'determinism-rules'),
        ],
      },
      temporal: {
        value: 'Yes. Enforced by a sandbox that replaces Math.random and Date.',
        evidence: [section('determinism rules', 'determinism-rules'), code('temporal/src/workflows.ts')],
      },
      dapr: {
        value:
          'Yes, with no sandbox. Our jitter is hashed from (instance, page, attempt) so that replays agree.',
        evidence: [code('dapr/src/retry.ts'), section('determinism rules', 'determinism-rules')],
      },
      'azure-durable-functions': {
        value: 'Yes, with no sandbox. The replay test catches two non-deterministic variants.',
        evidence: [code('azure-durable-functions/test/replay.test.ts', 'replay.test.ts')],
      },
    },
  },
  {
    question: 'Debugging experience',
    cells: {
      'custom-engine': {
        value:
          'SQL on your own tables, plus an execution view and a Mermaid diagram over HTTP. No vendor UI.',
        evidence: [
          code('custom-engine/src/engine/views.ts'),
          code('custom-engine/test/invoice.test.ts', 'invoice.test.ts'),
        ],
      },
      temporal: {
        value: 'Web UI with every event of each history. A history can be replayed against new code.',
        evidence: [
          code('temporal/topology.ts'),
          web('dev server', 'https://docs.temporal.io/develop/run-a-development-server'),
        ],
      },
      dapr: {
        value: 'Workflow status over the sidecar API and state-store keys. We ran no dashboard here.',
        evidence: [code('dapr/src/api.ts')],
      },
      'azure-durable-functions': {
        value:
          'Not seen here: the Functions host tooling cannot run. The test host keeps a JSON-lines history per instance.',
        evidence: [code('azure-durable-functions/test-host/history-log.ts')],
      },
    },
  },
  {
    question: 'Multi-service decoupling',
    cells: {
      'custom-engine': {
        value:
          'Workers claim steps from the database. Handlers for a step live in whichever worker registers them.',
        evidence: [code('custom-engine/src/engine/worker.ts')],
      },
      temporal: {
        value:
          'One task queue per role (split, extract, aggregate), each polled by its own worker process. There is no direct RPC.',
        evidence: [code('temporal/src/task-queues.ts'), code('temporal/topology.ts')],
      },
      dapr: {
        value: 'Activities call separate apps through their own sidecars (service invocation by app id).',
        evidence: [code('dapr/src/activities.ts'), code('dapr/topology.ts')],
      },
      'azure-durable-functions': {
        value: 'Orchestrator and activities are functions in one function app.',
        evidence: [code('azure-durable-functions/src/functions.ts')],
      },
    },
  },
  {
    question: 'Fan-out / fan-in',
    cells: {
      'custom-engine': {
        value: 'A `map` step: one durable step row per page. On failure the saga compensates.',
        evidence: [
          code('custom-engine/src/invoice-workflow.ts'),
          section('partial failure at fan-in', 'partial-failure-at-fan-in'),
        ],
      },
      temporal: {
        value: '`Promise.all` over activity calls. Retries run on the server.',
        evidence: [code('temporal/src/workflows.ts')],
      },
      dapr: {
        value:
          'A `whenAny` loop with durable timers, because `whenAll` fails on the first error and JS has no retry policy.',
        evidence: [
          code('dapr/src/retry.ts'),
          section('partial failure at fan-in', 'partial-failure-at-fan-in'),
        ],
      },
      'azure-durable-functions': {
        value: '`context.df.Task.all` over `callActivityWithRetry`. It throws on the first failure.',
        evidence: [
          code('azure-durable-functions/src/orchestrator.ts'),
          web('durable-js#477', 'https://github.com/Azure/azure-functions-durable-js/issues/477'),
        ],
      },
    },
  },
  {
    question: 'Cost model (what you are billed for)',
    cells: {
      'custom-engine': {
        value: 'Your database writes and Node compute, plus on-call for the engine itself.',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          section('cost model', 'cost-model'),
        ],
      },
      temporal: {
        value: 'Self-hosted: your cluster. Cloud: Actions (each activity attempt is one) plus storage.',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          web('actions', 'https://docs.temporal.io/cloud/actions'),
        ],
      },
      dapr: {
        value:
          'Self-hosted compute and state-store operations. Dapr Workflow on Azure Container Apps is still an open request.',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          web('azure-container-apps#762', 'https://github.com/microsoft/azure-container-apps/issues/762'),
        ],
      },
      'azure-durable-functions': {
        value:
          'Consumption: executions (each orchestrator episode, each activity) and GB-seconds, plus Storage transactions.',
        evidence: [
          section('cost per 1,000 invoices', 'cost-per-1000-invoices'),
          web(
            'DF billing',
            'https://learn.microsoft.com/en-us/azure/azure-functions/durable/durable-functions-billing',
          ),
        ],
      },
    },
  },
  {
    question: 'Versioning in flight',
    cells: {
      'custom-engine': {
        value: 'Each execution pins the definition version it started on. Old handlers must stay registered.',
        evidence: [
          code('custom-engine/src/engine/store.ts'),
          section('versioning in flight', 'versioning-in-flight'),
        ],
      },
      temporal: {
        value: '`patched()`, or Worker Versioning with pinned workflows (server ≥ 1.29.1).',
        evidence: [section('versioning in flight', 'versioning-in-flight')],
      },
      dapr: {
        value:
          'Named versions and patches in the runtime, but `isPatched()` arrives only in JS SDK 3.19. We run 3.18.',
        evidence: [section('versioning in flight', 'versioning-in-flight')],
      },
      'azure-durable-functions': {
        value:
          'Orchestration versioning is in preview. Whether the host honours it for JS is unverified here.',
        evidence: [section('versioning in flight', 'versioning-in-flight')],
      },
    },
  },
  {
    question: 'Best for',
    cells: {
      'custom-engine': {
        value:
          'Teams that must own every line and can staff an engine. A flow that is data (a DAG), not code.',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      temporal: {
        value:
          'Critical long-running flows where replay debugging and a mature UI are worth one more server.',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      dapr: {
        value: 'Polyglot services that already run with Dapr sidecars.',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
      'azure-durable-functions': {
        value: 'Azure shops that want serverless billing. Its numbers here are a stand-in.',
        evidence: [section('how to choose', 'how-to-choose-from-the-numbers-above')],
      },
    },
  },
];
