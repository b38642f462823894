import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { Activities } from '@invoice/shared/flow/activities';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';

/** The flow with no orchestrator: plain async code. This is the baseline (T_ideal) of every benchmark. */
export async function runInvoiceFlow(
  activities: Activities,
  input: WorkflowInput,
  cancelled?: AbortSignal,
): Promise<WorkflowOutput> {
  const { invoiceId, pdfKey, acceptedAt } = input;
  const { pages, span } = await activities.split({ invoiceId, pdfKey });
  cancelled?.throwIfAborted();
  const extractions = await Promise.all(
    pages.map((page) => activities.extract({ invoiceId, page }, cancelled)),
  );
  cancelled?.throwIfAborted();
  return activities.aggregate({ invoiceId, acceptedAt, split: span, extractions });
}

/**
 * Runs live in this process's memory: nothing survives a restart, which is exactly what the
 * orchestrators add. Finished runs are kept (bounded) so clients can poll them.
 */
export function referenceOrchestrator(activities: Activities, keep = 10_000): InvoiceOrchestrator {
  const runs = new Map<string, { state: RunState; done: Promise<void>; abort: AbortController }>();
  return {
    name: 'reference',
    behaviours: {
      idempotentUpload:
        'the run id is the key digest; a second start of a known id is a no-op (in memory only)',
      cancel: 'an AbortController: in-flight LLM fetches are aborted, no retry or step follows',
    },
    async start(input) {
      // One process, one map: the id check and the set happen in one tick, so a concurrent
      // duplicate never starts a second run.
      if (runs.has(input.invoiceId)) return;
      const abort = new AbortController();
      const state: RunState = { status: 'running', bodySha256: input.bodySha256 };
      const done = runInvoiceFlow(activities, input, abort.signal).then(
        (output) => Object.assign(state, { status: 'completed', output }),
        (error: Error) =>
          Object.assign(
            state,
            abort.signal.aborted
              ? { status: 'cancelled', error: 'cancelled' }
              : { status: 'failed', error: error.message },
          ),
      );
      runs.set(input.invoiceId, { state, done: done.then(() => {}), abort });
      if (runs.size > keep) runs.delete(runs.keys().next().value!);
    },
    async cancel(id) {
      runs.get(id)?.abort.abort(new Error('cancelled'));
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
