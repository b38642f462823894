import { pollUntilFinal } from '@invoice/shared/contract/poll';
import type { Behaviours, InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import { APPROVAL_EVENT, AWAITING_APPROVAL, outcomeOf } from '@invoice/shared/flow/approval';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { type DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { ORCHESTRATOR } from './names';

export const DURABLE_BEHAVIOURS: Behaviours = {
  idempotentUpload:
    "instance id = run id, startNew({instanceId}) with host.json overridableExistingInstanceStates 'NonRunningStates': a Pending/Running instance makes the start a 409 (OrchestrationAlreadyExistsException); a finished one would be re-created, so the API reads it first",
  cancel:
    'terminate(): an ExecutionTerminated message ends the instance Terminated; running activities finish, results discarded',
  approval:
    "setCustomStatus('awaiting_approval'), then waitForExternalEvent('approval') raced with a durable createTimer via Task.any; approve = client.raiseEvent (EventRaised into history); the wait holds no function invocation",
  deadline:
    'each step raced with a durable createTimer at the deadline via Task.any; the timer winning fails the orchestration with deadline_exceeded; an activity already running is not stopped (Durable Functions cannot), its result is discarded',
  workers:
    "not on this test host: one process holds the instances and runs its own work items; real Functions scale-out shares the task hub's control and work-item queues across instances, which the stand-in does not",
};

/**
 * The common contract's orchestrator seam over the Durable Functions client binding. The
 * instance id is the invoice id, so status lookups need no mapping table.
 */
export function durableClientOrchestrator(client: DurableClient): InvoiceOrchestrator {
  const status = async (invoiceId: string): Promise<RunState | undefined> => {
    const s = await client.getStatus(invoiceId).catch((error: Error) => {
      // the client throws on the extension's 404 rather than returning nothing
      if (/HTTP 404/.test(error.message)) return undefined;
      throw error;
    });
    if (!s) return undefined;
    return {
      ...toRunState(s.runtimeStatus, s.output, s.customStatus),
      bodySha256: (s.input as Partial<WorkflowInput>)?.bodySha256,
    };
  };
  return {
    name: 'azure-durable-functions',
    behaviours: DURABLE_BEHAVIOURS,
    async start(input) {
      await client.startNew(ORCHESTRATOR, { instanceId: input.invoiceId, input }).catch((error: Error) => {
        // The extension's 409 for an instance that is Pending/Running: that instance is the run.
        if (!/409|already exists/.test(error.message)) throw error;
      });
    },
    async cancel(invoiceId) {
      await client.terminate(invoiceId, 'cancelled');
    },
    status,
    async wait(invoiceId, timeoutMs) {
      // Polls getStatus every 250 ms as the client's waitForCompletionOrCreateCheckStatusResponse
      // does, but also stops at awaiting_approval (a custom status, which that helper ignores).
      return pollUntilFinal(() => status(invoiceId), timeoutMs, 250);
    },
    async approve(invoiceId, decision) {
      // POST .../raiseEvent/approval: an EventRaised message the orchestrator reads from history.
      await client.raiseEvent(invoiceId, APPROVAL_EVENT, decision);
    },
    // HTTP triggers are only routed once the host (and its durable extension) is running.
    async ready() {
      return true;
    },
  };
}

/** getStatus's runtimeStatus, output and customStatus as the contract's run state. */
export function toRunState(
  runtimeStatus: OrchestrationRuntimeStatus | string,
  output: unknown,
  customStatus?: unknown,
): RunState {
  switch (runtimeStatus) {
    case OrchestrationRuntimeStatus.Completed:
      return { ...outcomeOf(output as WorkflowOutput), output: output as WorkflowOutput };
    case OrchestrationRuntimeStatus.Terminated:
      // Only the cancel route terminates an invoice instance.
      return { status: 'cancelled', error: typeof output === 'string' ? output : 'terminated' };
    case OrchestrationRuntimeStatus.Failed:
    case OrchestrationRuntimeStatus.Canceled:
      return { status: 'failed', error: typeof output === 'string' ? output : JSON.stringify(output) };
    case OrchestrationRuntimeStatus.Pending:
      return { status: 'pending' };
    default:
      return { status: customStatus === AWAITING_APPROVAL ? 'awaiting_approval' : 'running' };
  }
}
