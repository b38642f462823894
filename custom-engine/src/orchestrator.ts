import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import { APPROVAL_EVENT, DEADLINE_EXCEEDED, deadlineMessage, outcomeOf } from '@invoice/shared/flow/approval';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import type { EngineClient } from './engine/engine';
import type { ExecutionRecord } from './engine/types';
import { INVOICE_WORKFLOW_ID } from './invoice-workflow';

function toRunState(exec: ExecutionRecord): RunState {
  const input = exec.input as Partial<WorkflowInput>;
  const bodySha256 = input.bodySha256;
  switch (exec.status) {
    case 'completed': {
      const output = exec.output as WorkflowOutput;
      return { ...outcomeOf(output), output, bodySha256 };
    }
    case 'running':
    case 'compensating':
      return { status: 'running', bodySha256 };
    // The execution status itself: one row read, no extra query for runs that never wait.
    case 'suspended':
      return { status: 'awaiting_approval', bodySha256 };
    case 'cancelled':
      return { status: 'cancelled', error: exec.error ?? 'cancelled', bodySha256 };
    default: {
      // The engine's deadline row fired; the contract words it the same on every stack.
      const pastDeadline = exec.error?.startsWith(DEADLINE_EXCEEDED) && input.deadlineMs !== undefined;
      const error = pastDeadline ? deadlineMessage(input.deadlineMs as number) : exec.error;
      return { status: 'failed', error: error ?? exec.status, bodySha256 };
    }
  }
}

/** The contract's seam on the custom engine: the invoice id is the execution id. */
export function engineOrchestrator(client: EngineClient): InvoiceOrchestrator {
  return {
    name: 'custom-engine',
    behaviours: {
      idempotentUpload:
        'executionId = run id: startExecution returns the existing execution in the same transaction (no second one)',
      cancel: 'EngineClient.cancel: open steps cancelled, in-flight handlers aborted through ctx.signal',
      approval:
        "an `event` step: suspended in the store with its timer as the row's due time (no lease, no worker); EngineClient.sendEvent stores the decision on the row",
      deadline:
        "the definition's deadline: one more row due at start + deadlineMs; a worker that claims it fails the execution and cancels its open steps (in-flight handlers aborted)",
      workers:
        "workers=N worker processes claim step attempts from the one store under leases; a dead worker's expired leases are re-claimed by the others",
    },
    async start(input: WorkflowInput) {
      await client.start({ workflowId: INVOICE_WORKFLOW_ID, executionId: input.invoiceId, input });
    },
    async cancel(invoiceId) {
      await client.cancel(invoiceId);
    },
    async status(invoiceId) {
      const exec = await client.store.getExecutionRecord(invoiceId);
      return exec && toRunState(exec);
    },
    async wait(invoiceId, timeoutMs) {
      const exec = await client.wait(invoiceId, timeoutMs, undefined, ['suspended']);
      return exec ? toRunState(exec) : { status: 'pending' };
    },
    async approve(invoiceId, decision) {
      const sent = await client.sendEvent(invoiceId, APPROVAL_EVENT, decision);
      // not_waiting: the approval step's timer won the race since the app read the status; the
      // run records the timeout, as the engine decided first.
      if (!sent.delivered && sent.reason === 'not_found') throw new Error(`no execution ${invoiceId}`);
    },
    async ready() {
      return (await client.store.getWorkflow(INVOICE_WORKFLOW_ID)) !== undefined;
    },
  };
}
