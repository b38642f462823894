import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import type { Activities } from '@invoice/shared/flow/activities';
import { approvalOf, deadlineMessage, needsApproval, outcomeOf } from '@invoice/shared/flow/approval';
import type { ApprovalDecision, WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';

/** Holds the run for a person's decision; undefined when the timeout came first. */
export type AwaitDecision = (timeoutMs: number) => Promise<ApprovalDecision | undefined>;

/** The flow with no orchestrator: plain async code. This is the baseline (T_ideal) of every benchmark. */
export async function runInvoiceFlow(
  activities: Activities,
  input: WorkflowInput,
  cancelled?: AbortSignal,
  awaitDecision?: AwaitDecision,
): Promise<WorkflowOutput> {
  const { invoiceId, pdfKey, acceptedAt, deadlineMs } = input;
  // The deadline aborts what is in flight (the LLM fetches) like a cancel, and names itself.
  const deadline = deadlineMs ? AbortSignal.timeout(deadlineMs) : undefined;
  const stop = deadline && cancelled ? AbortSignal.any([cancelled, deadline]) : (deadline ?? cancelled);
  const checkpoint = () => {
    if (deadline?.aborted && !cancelled?.aborted) throw new Error(deadlineMessage(deadlineMs!));
    cancelled?.throwIfAborted();
  };
  let result: WorkflowOutput;
  try {
    const { pages, span } = await activities.split({ invoiceId, pdfKey });
    checkpoint();
    const extractions = await Promise.all(pages.map((page) => activities.extract({ invoiceId, page }, stop)));
    checkpoint();
    result = await activities.aggregate({ invoiceId, acceptedAt, split: span, extractions });
  } catch (error) {
    checkpoint();
    throw error;
  }
  if (!awaitDecision || !needsApproval(input, result)) return result;
  const decision = await awaitDecision(input.approvalTimeoutMs!);
  cancelled?.throwIfAborted();
  return activities.recordDecision({
    invoiceId,
    invoiceKey: result.invoiceKey,
    approval: approvalOf(decision),
  });
}

type Run = {
  state: RunState;
  done: Promise<void>;
  /** resolves once the run waits for a decision */
  waiting: Promise<void>;
  abort: AbortController;
  decide?: (decision: ApprovalDecision) => void;
};

/**
 * Runs live in this process's memory: nothing survives a restart, which is exactly what the
 * orchestrators add. Finished runs are kept (bounded) so clients can poll them.
 */
export function referenceOrchestrator(activities: Activities, keep = 10_000): InvoiceOrchestrator {
  const runs = new Map<string, Run>();
  return {
    name: 'reference',
    behaviours: {
      idempotentUpload:
        'the run id is the key digest; a second start of a known id is a no-op (in memory only)',
      cancel: 'an AbortController: in-flight LLM fetches are aborted, no retry or step follows',
      approval:
        'a promise and a setTimeout in the API process: neither survives a restart, so a waiting run is lost with it',
      deadline: 'AbortSignal.timeout over split, extract and aggregate: in-flight LLM fetches are aborted',
      workers: 'none: one process does everything; a second one would not share its runs',
    },
    async start(input) {
      // One process, one map: the id check and the set happen in one tick, so a concurrent
      // duplicate never starts a second run.
      if (runs.has(input.invoiceId)) return;
      const abort = new AbortController();
      const state: RunState = { status: 'running', bodySha256: input.bodySha256 };
      let markWaiting = () => {};
      const waiting = new Promise<void>((resolve) => (markWaiting = resolve));
      const run: Run = { state, abort, waiting, done: Promise.resolve() };
      const awaitDecision: AwaitDecision = (timeoutMs) =>
        new Promise((resolve) => {
          state.status = 'awaiting_approval';
          markWaiting();
          const timer = setTimeout(() => resolve(undefined), timeoutMs);
          const settle = (decision?: ApprovalDecision) => {
            clearTimeout(timer);
            run.decide = undefined;
            state.status = 'running';
            resolve(decision);
          };
          run.decide = settle;
          abort.signal.addEventListener('abort', () => settle(), { once: true });
        });
      run.done = runInvoiceFlow(activities, input, abort.signal, awaitDecision).then(
        (output) => void Object.assign(state, { ...outcomeOf(output), output }),
        (error: Error) =>
          void Object.assign(
            state,
            abort.signal.aborted
              ? { status: 'cancelled', error: 'cancelled' }
              : { status: 'failed', error: error.message },
          ),
      );
      runs.set(input.invoiceId, run);
      if (runs.size > keep) runs.delete(runs.keys().next().value!);
    },
    async cancel(id) {
      runs.get(id)?.abort.abort(new Error('cancelled'));
    },
    async approve(id, decision) {
      runs.get(id)?.decide?.(decision);
    },
    async status(id) {
      const run = runs.get(id);
      return run && { ...run.state };
    },
    async wait(id, timeoutMs) {
      const run = runs.get(id);
      if (!run) throw new Error(`unknown run ${id}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        run.done,
        run.waiting,
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      return { ...run.state };
    },
    async ready() {
      return true;
    },
  };
}
