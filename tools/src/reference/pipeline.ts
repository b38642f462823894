import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { Activities } from '@invoice/shared/flow/activities';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';

/** The flow with no orchestrator: plain async code. This is the baseline (T_ideal) of every benchmark. */
export async function runInvoiceFlow(activities: Activities, input: WorkflowInput): Promise<WorkflowOutput> {
  const { invoiceId, pdfKey, acceptedAt } = input;
  const { pages, span } = await activities.split({ invoiceId, pdfKey });
  const extractions = await Promise.all(pages.map((page) => activities.extract({ invoiceId, page })));
  return activities.aggregate({ invoiceId, acceptedAt, split: span, extractions });
}

/**
 * Runs live in this process's memory: nothing survives a restart, which is exactly what the
 * orchestrators add. Finished runs are kept (bounded) so clients can poll them.
 */
export function referenceOrchestrator(activities: Activities, keep = 10_000): InvoiceOrchestrator {
  const runs = new Map<string, { state: RunState; done: Promise<void> }>();
  return {
    name: 'reference',
    async start(input) {
      const state: RunState = { status: 'running' };
      const done = runInvoiceFlow(activities, input).then(
        (output) => Object.assign(state, { status: 'completed', output }),
        (error: Error) => Object.assign(state, { status: 'failed', error: error.message }),
      );
      runs.set(input.invoiceId, { state, done: done.then(() => {}) });
      if (runs.size > keep) runs.delete(runs.keys().next().value!);
    },
    async status(id) {
      const run = runs.get(id);
      return run && { ...run.state };
    },
    async wait(id, timeoutMs) {
      const run = runs.get(id);
      if (!run) throw new Error(`unknown run ${id}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([run.done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      return { ...run.state };
    },
    async ready() {
      return true;
    },
  };
}
