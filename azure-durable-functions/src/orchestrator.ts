import {
  APPROVAL_EVENT,
  AWAITING_APPROVAL,
  approvalOf,
  deadlineMessage,
  needsApproval,
} from '@invoice/shared/flow/approval';
import type {
  AggregateResult,
  ApprovalDecision,
  ExtractResult,
  SplitResult,
  WorkflowInput,
  WorkflowOutput,
} from '@invoice/shared/flow/types';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { ACTIVITY, DECISION_TAKEN } from './names';
import { llmRetryOptions } from './retry-options';

const retry = llmRetryOptions();

/**
 * The invoice flow as a Durable Functions orchestrator: split, one extract per page in parallel
 * (each retried by the framework per the shared LLM policy), then aggregate, each step raced
 * against a durable timer at the run's deadline; then, when aggregation found discrepancies, a
 * wait for the approval event raced against a durable timer of the approval timeout (the
 * human-interaction pattern of the durable-functions samples). It is replayed from history after
 * every step, so it only ever sees blob keys and small numbers (claim-check), and it reads the
 * time only from context.df.currentUtcDateTime.
 */
export const invoiceOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as WorkflowInput;
  const { invoiceId, pdfKey, acceptedAt } = input;
  const deadline = deadlineOf(context, input);

  const split: SplitResult = yield* withinDeadline<SplitResult>(
    context,
    deadline,
    context.df.callActivity(ACTIVITY.split, { invoiceId, pdfKey }),
  );
  const extractions = yield* withinDeadline<ExtractResult[]>(
    context,
    deadline,
    context.df.Task.all(
      split.pages.map((page) =>
        context.df.callActivityWithRetry(ACTIVITY.extract, retry, { invoiceId, page }),
      ),
    ),
  );
  const output = yield* withinDeadline<AggregateResult>(
    context,
    deadline,
    context.df.callActivity(ACTIVITY.aggregate, { invoiceId, acceptedAt, split: split.span, extractions }),
  );
  if (!needsApproval(input, output)) return output satisfies WorkflowOutput;

  // The wait is a history state, not a running function: the orchestrator returns after this
  // episode and is replayed only when the event or the timer's message arrives.
  context.df.setCustomStatus(AWAITING_APPROVAL);
  const decided = context.df.waitForExternalEvent(APPROVAL_EVENT);
  const timeout = context.df.createTimer(
    new Date(context.df.currentUtcDateTime.getTime() + input.approvalTimeoutMs!),
  );
  const winner = yield context.df.Task.any([decided, timeout]);
  if (winner === decided) timeout.cancel();
  context.df.setCustomStatus(DECISION_TAKEN);
  const decision = winner === decided ? (decided.result as ApprovalDecision) : undefined;
  const recorded: WorkflowOutput = yield context.df.callActivity(ACTIVITY.recordDecision, {
    invoiceId,
    invoiceKey: output.invoiceKey,
    approval: approvalOf(decision),
  });
  return recorded;
};

export type Deadline = { at: Date; ms: number };

/** The run's deadline: deadlineMs after the first episode's OrchestratorStarted time, the same on every replay. */
export function deadlineOf(context: OrchestrationContext, input: WorkflowInput): Deadline | undefined {
  const ms = input.deadlineMs;
  return ms ? { at: new Date(context.df.currentUtcDateTime.getTime() + ms), ms } : undefined;
}

/**
 * One step raced against its own durable timer at the deadline. Each step gets a fresh timer
 * (one Task.any per timer) and cancels it when the step wins. When the timer wins the run fails
 * with deadline_exceeded; Durable Functions cannot stop an activity that is already running, so
 * its invocation runs on and its result is discarded.
 */
export function* withinDeadline<T>(
  context: OrchestrationContext,
  deadline: Deadline | undefined,
  step: Task,
): Generator<Task, T, unknown> {
  if (!deadline) return (yield step) as T;
  const timer = context.df.createTimer(deadline.at);
  const winner = yield context.df.Task.any([step, timer]);
  if (winner === timer) throw new Error(deadlineMessage(deadline.ms));
  timer.cancel();
  if (step.isFaulted) throw step.result;
  return step.result as T;
}
