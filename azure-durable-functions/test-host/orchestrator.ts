import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import { APPROVAL_EVENT, AWAITING_APPROVAL } from '@invoice/shared/flow/approval';
import type { WorkflowInput } from '@invoice/shared/flow/types';
import { DURABLE_BEHAVIOURS, toRunState } from '../src/client-orchestrator';
import { ORCHESTRATOR } from '../src/names';
import { RUNTIME_STATUS } from './http-host';
import type { InstanceView, ReplayHost } from './replay-host';

/** The contract's orchestrator seam over the test host (what the durable client is in the real app). */
export function replayHostOrchestrator(host: ReplayHost): InvoiceOrchestrator {
  const runState = (v: InstanceView): RunState => ({
    ...toRunState(RUNTIME_STATUS[v.status], v.status === 'failed' ? v.error : v.output, v.customStatus),
    bodySha256: (v.input as Partial<WorkflowInput> | undefined)?.bodySha256,
  });
  return {
    name: 'azure-durable-functions',
    behaviours: DURABLE_BEHAVIOURS,
    async start(input) {
      await host.start(ORCHESTRATOR, input.invoiceId, input).catch((error: Error) => {
        if (!/already exists/.test(error.message)) throw error;
      });
    },
    async cancel(invoiceId) {
      await host.terminate(invoiceId, 'cancelled');
    },
    async status(invoiceId) {
      const v = host.view(invoiceId);
      return v && runState(v);
    },
    async wait(invoiceId, timeoutMs) {
      const v = await host.waitFor(invoiceId, timeoutMs, (w) => w.customStatus === AWAITING_APPROVAL);
      return v ? runState(v) : { status: 'pending' };
    },
    async approve(invoiceId, decision) {
      await host.raiseEvent(invoiceId, APPROVAL_EVENT, JSON.stringify(decision));
    },
    async ready() {
      return true;
    },
  };
}
