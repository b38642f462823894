import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { DURABLE_BEHAVIOURS } from '../src/client-orchestrator';
import { ORCHESTRATOR } from '../src/names';
import type { InstanceView, ReplayHost } from './replay-host';

/** The contract's orchestrator seam over the test host (what the durable client is in the real app). */
export function replayHostOrchestrator(host: ReplayHost): InvoiceOrchestrator {
  const toRunState = (v: InstanceView): RunState => ({
    ...(v.status === 'completed'
      ? { status: 'completed', output: v.output as WorkflowOutput }
      : v.status === 'failed'
        ? { status: 'failed', error: v.error ?? 'failed' }
        : v.status === 'terminated'
          ? { status: 'cancelled', error: 'terminated' }
          : { status: v.status }),
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
