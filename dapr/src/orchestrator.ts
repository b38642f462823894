import { DaprWorkflowClient, LogLevel, WorkflowRuntimeStatus, type WorkflowState } from '@dapr/dapr';
import { pollUntilFinal } from '@invoice/shared/contract/poll';
import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import { APPROVAL_EVENT, AWAITING_APPROVAL, outcomeOf } from '@invoice/shared/flow/approval';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { sidecar, WORKFLOW_NAME } from './config';
import { readUntorn } from './torn-read';

function toRunState(state: WorkflowState): RunState {
  const { bodySha256 } = JSON.parse(state.serializedInput ?? '{}') as Partial<WorkflowInput>;
  return { ...runState(state), bodySha256 };
}

function runState(state: WorkflowState): RunState {
  switch (state.runtimeStatus) {
    case WorkflowRuntimeStatus.COMPLETED: {
      const output = JSON.parse(state.serializedOutput ?? 'null') as WorkflowOutput;
      return { ...outcomeOf(output), output };
    }
    case WorkflowRuntimeStatus.FAILED:
      return {
        status: 'failed',
        error: state.workflowFailureDetails?.getErrorMessage() ?? 'workflow failed',
      };
    case WorkflowRuntimeStatus.TERMINATED:
      // Only the cancel route terminates an invoice workflow.
      return { status: 'cancelled', error: 'workflow terminated' };
    case WorkflowRuntimeStatus.PENDING:
      return { status: 'pending' };
    default:
      // The workflow publishes AWAITING_APPROVAL as its custom status while it waits (workflow.ts);
      // GetInstance returns it with the rest of the metadata, so this costs no extra call.
      return { status: state.customStatus === AWAITING_APPROVAL ? 'awaiting_approval' : 'running' };
  }
}

/** GetInstance period of wait(): see there. */
const POLL_MS = 25;

/**
 * The contract's orchestrator on Dapr Workflow. A Dapr workflow belongs to the app id whose
 * sidecar runs its worker, so the API talks to the workflow app's sidecar (its gRPC port),
 * not to a sidecar of its own: scheduling through another app id would start the workflow
 * where no worker listens.
 */
export function daprOrchestrator(env = process.env): InvoiceOrchestrator & { close(): Promise<void> } {
  const { host, grpcPort, httpUrl } = sidecar(env);
  const client = new DaprWorkflowClient({
    daprHost: host,
    daprPort: grpcPort,
    logger: { level: LogLevel.Warn },
  });

  async function status(invoiceId: string): Promise<RunState | undefined> {
    // Read again when daprd's GetInstance tore its read on a turn being saved (torn-read.ts).
    const state = await readUntorn(() => client.getWorkflowState(invoiceId, true));
    return state ? toRunState(state) : undefined;
  }

  return {
    name: 'dapr',
    behaviours: {
      idempotentUpload:
        'instance id = run id: daprd refuses a second start of an active instance (gRPC AlreadyExists, orchestrator/create.go); a completed one would be re-created, so the API reads it first',
      cancel:
        'terminateWorkflow: the instance ends TERMINATED; activities already running finish, their results discarded',
      approval:
        'custom status awaiting_approval, then waitForExternalEvent("approval") raced by whenAny with a durable createTimer (a scheduler job); approve = raiseEvent',
      deadline:
        'a durable createTimer(deadlineMs) in every whenAny of split/extract/aggregate: when it wins the workflow fails; running activities cannot be cancelled, they finish and are dropped',
      workers:
        'workers=N replicas of the extract service behind one app id, each with its own daprd; the sqlite name resolver picks one at random per call',
    },
    async start(input) {
      // The invoice id is the instance id: a retried start cannot create a second run.
      try {
        await client.scheduleNewWorkflow(WORKFLOW_NAME, input, input.invoiceId);
      } catch (error) {
        // daprd 1.18 (pkg/actors/targets/workflow/orchestrator/create.go, createIfCompleted):
        // "an active workflow with ID '…' already exists": that run is the run.
        if (!/already exists/.test((error as Error).message)) throw error;
      }
    },
    async cancel(invoiceId) {
      await client.terminateWorkflow(invoiceId, 'cancelled');
    },
    async approve(invoiceId, decision) {
      // Stored in the workflow actor's inbox; the waiting workflow's waitForExternalEvent takes it.
      await client.raiseEvent(invoiceId, APPROVAL_EVENT, decision);
    },
    status,
    async wait(invoiceId, timeoutMs) {
      // Polls GetInstance rather than waitForWorkflowCompletion. On daprd 1.18.2 the latter is a
      // stream on the workflow actor, which the runtime deactivates mid-run whenever a wake-up
      // reminder finds an empty inbox; the stream is then re-opened by the protected 1 s
      // DaprBuiltInActorNotFoundRetries policy, so it answered ~1 s late. GetInstance reads the
      // state store (no actor), ~1-2 ms for a 50-page history, so a 25 ms period is cheap and
      // keeps the wait's share of a run's latency at ~12 ms on average (100 ms cost ~50-120 ms).
      // A failed look (the sidecar restarting after a crash) is retried until the deadline.
      return pollUntilFinal(() => status(invoiceId), timeoutMs, POLL_MS);
    },
    async ready() {
      // Ready = the sidecar is up AND a workflow worker is connected to it; before that a
      // scheduled workflow would sit waiting for one.
      const response = await fetch(`${httpUrl}/v1.0/metadata`, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) return false;
      const metadata = (await response.json()) as { workflows?: { connectedWorkers?: number } };
      return (metadata.workflows?.connectedWorkers ?? 0) > 0;
    },
    close: () => client.stop(),
  };
}
