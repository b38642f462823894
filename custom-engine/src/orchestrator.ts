import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import type { EngineClient } from './engine/engine';
import type { ExecutionRecord } from './engine/types';
import { INVOICE_WORKFLOW_ID } from './invoice-workflow';

function toRunState(exec: ExecutionRecord): RunState {
  switch (exec.status) {
    case 'completed':
      return { status: 'completed', output: exec.output as WorkflowOutput };
    case 'running':
    case 'compensating':
      return { status: 'running' };
    default:
      return { status: 'failed', error: exec.error ?? exec.status };
  }
}

/** The contract's seam on the custom engine: the invoice id is the execution id. */
export function engineOrchestrator(client: EngineClient): InvoiceOrchestrator {
  return {
    name: 'custom-engine',
    async start(input: WorkflowInput) {
      await client.start({ workflowId: INVOICE_WORKFLOW_ID, executionId: input.invoiceId, input });
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
