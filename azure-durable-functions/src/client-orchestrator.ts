import type { HttpRequest } from '@azure/functions';
import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowOutput } from '@invoice/shared/flow/types';
import { type DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { ORCHESTRATOR } from './names';

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
    return s ? toRunState(s.runtimeStatus, s.output) : undefined;
  };
  return {
    name: 'azure-durable-functions',
    async start(input) {
      await client.startNew(ORCHESTRATOR, { instanceId: input.invoiceId, input });
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
    case OrchestrationRuntimeStatus.Failed:
    case OrchestrationRuntimeStatus.Terminated:
    case OrchestrationRuntimeStatus.Canceled:
      return { status: 'failed', error: typeof output === 'string' ? output : JSON.stringify(output) };
    case OrchestrationRuntimeStatus.Pending:
      return { status: 'pending' };
    default:
      return { status: 'running' };
  }
}
