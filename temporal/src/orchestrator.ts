/**
 * InvoiceOrchestrator on the Temporal client: the workflow id is the invoice id, so status and
 * wait need no lookup table; the server is the only state.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import { APPROVAL_EVENT, AWAITING_APPROVAL, outcomeOf } from '@invoice/shared/flow/approval';
import type { ApprovalDecision, WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import {
  CancelledFailure,
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { STAGE_MEMO, TASK_QUEUES, WORKFLOW_TYPE } from './task-queues';

/**
 * How often wait() looks for a run that started waiting for approval. Temporal has no long poll
 * on a memo change (result() long-polls only for the close event), so wait() describes the run
 * at this pace beside result(); a run that ends sooner pays no describe at all.
 */
const AWAITING_POLL_MS = 1_000;

/** The innermost cause is the activity's own error, the useful part for a caller. */
function failureMessage(error: unknown): string {
  if (!(error instanceof WorkflowFailedError)) return String(error);
  let cause: unknown = error.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** The workflow's upsertMemo, which the server returns from its mutable state with describe(). */
const awaitingApproval = (d: WorkflowExecutionDescription) =>
  d.status.name === 'RUNNING' && d.memo?.[STAGE_MEMO] === AWAITING_APPROVAL;

export function temporalOrchestrator(client: Client): InvoiceOrchestrator {
  const handle = (invoiceId: string) =>
    client.workflow.getHandle<(input: WorkflowInput) => Promise<WorkflowOutput>>(invoiceId);

  async function describe(invoiceId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await handle(invoiceId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  async function status(invoiceId: string): Promise<RunState | undefined> {
    const description = await describe(invoiceId);
    if (!description) return undefined;
    const bodySha256 = description.memo?.bodySha256 as string | undefined;
    switch (description.status.name) {
      case 'RUNNING':
        if (awaitingApproval(description)) return { status: 'awaiting_approval', bodySha256 };
        // Two events (started + first workflow task scheduled) means no worker has picked it up yet.
        return { status: (description.historyLength ?? 0) <= 2 ? 'pending' : 'running', bodySha256 };
      case 'COMPLETED': {
        const output = await handle(invoiceId).result();
        return { ...outcomeOf(output), output, bodySha256 };
      }
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

  /** Calls found() once the run is awaiting_approval; ends quietly when `stop` aborts. */
  async function watchForApproval(invoiceId: string, stop: AbortSignal, found: () => void) {
    try {
      while (!stop.aborted) {
        await sleep(AWAITING_POLL_MS, undefined, { signal: stop });
        const description = await describe(invoiceId);
        if (description && awaitingApproval(description)) return found();
      }
    } catch {
      // aborted, or a describe that failed: result() reports what matters
    }
  }

  return {
    name: 'temporal',
    behaviours: {
      idempotentUpload:
        "workflowId = run id, workflowIdConflictPolicy 'USE_EXISTING' (a running one is returned), workflowIdReusePolicy 'REJECT_DUPLICATE' (a closed one is never re-run); body hash in the memo",
      cancel:
        'WorkflowHandle.cancel(): scheduled activities are cancelled by the server, running ones at their next heartbeat (cancellationSignal aborts the LLM call)',
      approval: `signal '${APPROVAL_EVENT}' raced by condition(fn, approvalTimeoutMs), a durable server timer; the waiting run is shown by upsertMemo, read by describe(); it holds no worker slot`,
      deadline:
        'a CancellationScope racing split/extract/aggregate against a durable sleep(deadlineMs); on expiry the scope is cancelled (running activities stop at their next heartbeat) and the run fails with a non-retryable ApplicationFailure',
      workers:
        'workers=N extract worker processes polling the one invoice-extract task queue; the server hands a dead worker’s activities to the others after the heartbeat timeout',
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

    async approve(invoiceId: string, decision: ApprovalDecision) {
      // A signal is durable once the server accepts it: no worker needs to be up to take it.
      await handle(invoiceId).signal(APPROVAL_EVENT, decision);
    },

    status,

    async wait(invoiceId, timeoutMs) {
      const timeout = AbortSignal.timeout(timeoutMs);
      // Aborted when the run is found waiting for approval: it ends the result() long poll too.
      const awaiting = new AbortController();
      const stop = AbortSignal.any([timeout, awaiting.signal]);
      const watch = watchForApproval(invoiceId, stop, () => awaiting.abort());
      try {
        // result() long-polls the server for the close event (no polling loop of ours); the
        // signal cancels that poll at the timeout so no request outlives the HTTP wait.
        const output = await client.withAbortSignal(stop, () => handle(invoiceId).result());
        return { ...outcomeOf(output), output };
      } catch (error) {
        if (error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure)
          return { status: 'cancelled', error: 'cancelled' };
        if (error instanceof WorkflowFailedError) return { status: 'failed', error: failureMessage(error) };
        if (stop.aborted) return (await status(invoiceId)) ?? { status: 'pending' };
        throw error;
      } finally {
        awaiting.abort();
        await watch;
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
