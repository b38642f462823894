import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import type { EngineClient } from './engine/engine';
import type { ExecutionRecord } from './engine/types';
import { INVOICE_WORKFLOW_ID } from './invoice-workflow';

function toRunState(exec: ExecutionRecord): RunState {
  const bodySha256 = (exec.input as Partial<WorkflowInput>).bodySha256;
  switch (exec.status) {
    case 'completed':
      return { status: 'completed', output: exec.output as WorkflowOutput, bodySha256 };
    case 'running':
    case 'compensating':
      return { status: 'running', bodySha256 };
    case 'cancelled':
      return { status: 'cancelled', error: exec.error ?? 'cancelled', bodySha256 };
    default:
      return { status: 'failed', error: exec.error ?? exec.status, bodySha256 };
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
      const exec = await client.wait(invoiceId, timeoutMs);
      return exec ? toRunState(exec) : { status: 'pending' };
    },
    async ready() {
      return (await client.store.getWorkflow(INVOICE_WORKFLOW_ID)) !== undefined;
    },
  };
}
