import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowOutput } from '@invoice/shared/flow/types';
import { ORCHESTRATOR } from '../src/names';
import type { InstanceView, ReplayHost } from './replay-host';

/** The contract's orchestrator seam over the test host (what the durable client is in the real app). */
export function replayHostOrchestrator(host: ReplayHost): InvoiceOrchestrator {
  const toRunState = (v: InstanceView): RunState =>
    v.status === 'completed'
      ? { status: 'completed', output: v.output as WorkflowOutput }
      : v.status === 'failed'
        ? { status: 'failed', error: v.error ?? 'failed' }
        : { status: v.status };
  return {
    name: 'azure-durable-functions',
    start: (input) => host.start(ORCHESTRATOR, input.invoiceId, input),
    async status(invoiceId) {
      const v = host.view(invoiceId);
      return v && toRunState(v);
    },
    async wait(invoiceId, timeoutMs) {
      const v = await host.waitFor(invoiceId, timeoutMs);
      return v ? toRunState(v) : { status: 'pending' };
    },
    async ready() {
      return true;
    },
  };
}
