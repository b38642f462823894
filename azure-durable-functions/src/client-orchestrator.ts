import type { HttpRequest } from '@azure/functions';
import type { Behaviours, InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { type DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { ORCHESTRATOR } from './names';

export const DURABLE_BEHAVIOURS: Behaviours = {
  idempotentUpload:
    "instance id = run id, startNew({instanceId}) with host.json overridableExistingInstanceStates 'NonRunningStates': a Pending/Running instance makes the start a 409 (OrchestrationAlreadyExistsException); a finished one would be re-created, so the API reads it first",
  cancel:
    'terminate(): an ExecutionTerminated message ends the instance Terminated; running activities finish, results discarded',
};

/**
 * The common contract's orchestrator seam over the Durable Functions client binding. The
 * instance id is the invoice id, so status lookups need no mapping table.
 */
export function durableClientOrchestrator(client: DurableClient, request: HttpRequest): InvoiceOrchestrator {
  const status = async (invoiceId: string): Promise<RunState | undefined> => {
    const s = await client.getStatus(invoiceId).catch((error: Error) => {
      // the client throws on the extension's 404 rather than returning nothing
      if (/HTTP 404/.test(error.message)) return undefined;
      throw error;
    });
    if (!s) return undefined;
    return {
      ...toRunState(s.runtimeStatus, s.output),
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
      // The client polls the extension until the instance ends or the timeout passes.
      await client.waitForCompletionOrCreateCheckStatusResponse(request, invoiceId, {
        timeoutInMilliseconds: timeoutMs,
        retryIntervalInMilliseconds: Math.min(250, timeoutMs),
      });
      return (await status(invoiceId)) ?? { status: 'pending' };
    },
    // HTTP triggers are only routed once the host (and its durable extension) is running.
    async ready() {
      return true;
    },
  };
}

export function toRunState(runtimeStatus: OrchestrationRuntimeStatus | string, output: unknown): RunState {
  switch (runtimeStatus) {
    case OrchestrationRuntimeStatus.Completed:
      return { status: 'completed', output: output as WorkflowOutput };
    case OrchestrationRuntimeStatus.Terminated:
      // Only the cancel route terminates an invoice instance.
      return { status: 'cancelled', error: typeof output === 'string' ? output : 'terminated' };
    case OrchestrationRuntimeStatus.Failed:
    case OrchestrationRuntimeStatus.Canceled:
      return { status: 'failed', error: typeof output === 'string' ? output : JSON.stringify(output) };
    case OrchestrationRuntimeStatus.Pending:
      return { status: 'pending' };
    default:
      return { status: 'running' };
  }
}
