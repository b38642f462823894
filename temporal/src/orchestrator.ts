/**
 * InvoiceOrchestrator on the Temporal client: the workflow id is the invoice id, so status and
 * wait need no lookup table; the server is the only state.
 */
import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import {
  CancelledFailure,
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { TASK_QUEUES, WORKFLOW_TYPE } from './task-queues';

/** The innermost cause is the activity's own error, the useful part for a caller. */
function failureMessage(error: unknown): string {
  if (!(error instanceof WorkflowFailedError)) return String(error);
  let cause: unknown = error.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

export function temporalOrchestrator(client: Client): InvoiceOrchestrator {
  const handle = (invoiceId: string) =>
    client.workflow.getHandle<(input: WorkflowInput) => Promise<WorkflowOutput>>(invoiceId);

  async function status(invoiceId: string): Promise<RunState | undefined> {
    let description: Awaited<ReturnType<ReturnType<typeof handle>['describe']>>;
    try {
      description = await handle(invoiceId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
    const bodySha256 = description.memo?.bodySha256 as string | undefined;
    switch (description.status.name) {
      case 'RUNNING':
        // Two events (started + first workflow task scheduled) means no worker has picked it up yet.
        return { status: (description.historyLength ?? 0) <= 2 ? 'pending' : 'running', bodySha256 };
      case 'COMPLETED':
        return { status: 'completed', output: await handle(invoiceId).result(), bodySha256 };
      case 'CANCELLED':
        return { status: 'cancelled', error: 'cancelled', bodySha256 };
      default:
        return {
          bodySha256,
          status: 'failed',
          error: await handle(invoiceId)
            .result()
            .then(() => description.status.name, failureMessage),
        };
    }
  }

  return {
    name: 'temporal',
    behaviours: {
      idempotentUpload:
        "workflowId = run id, workflowIdConflictPolicy 'USE_EXISTING' (a running one is returned), workflowIdReusePolicy 'REJECT_DUPLICATE' (a closed one is never re-run); body hash in the memo",
      cancel:
        'WorkflowHandle.cancel(): scheduled activities are cancelled by the server, running ones at their next heartbeat (cancellationSignal aborts the LLM call)',
    },

    async start(input) {
      try {
        await client.workflow.start(WORKFLOW_TYPE, {
          workflowId: input.invoiceId,
          taskQueue: TASK_QUEUES.workflow,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: input.bodySha256 ? { bodySha256: input.bodySha256 } : undefined,
        });
      } catch (error) {
        // REJECT_DUPLICATE: a closed run with this id exists; it is the run, not a new one.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    },

    async cancel(invoiceId) {
      await handle(invoiceId).cancel();
    },

    status,

    async wait(invoiceId, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        // result() long-polls the server for the close event (no polling loop of ours); the
        // signal cancels that poll at the timeout so no request outlives the HTTP wait.
        const output = await client.withAbortSignal(signal, () => handle(invoiceId).result());
        return { status: 'completed', output };
      } catch (error) {
        if (error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure)
          return { status: 'cancelled', error: 'cancelled' };
        if (error instanceof WorkflowFailedError) return { status: 'failed', error: failureMessage(error) };
        if (signal.aborted) return (await status(invoiceId)) ?? { status: 'pending' };
        throw error;
      }
    },

    async ready() {
      try {
        // Reachable server and at least one worker polling the workflow queue.
        const { pollers } = await client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: TASK_QUEUES.workflow },
        });
        return (pollers?.length ?? 0) > 0;
      } catch {
        return false;
      }
    },
  };
}
