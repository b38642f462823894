import type { Task, WorkflowContext } from '@dapr/dapr';
import {
  APPROVAL_EVENT,
  AWAITING_APPROVAL,
  approvalOf,
  deadlineMessage,
  needsApproval,
} from '@invoice/shared/flow/approval';
import { SPLIT_RETRY_POLICY } from '@invoice/shared/flow/split-policy';
import type {
  ApprovalDecision,
  ExtractResult,
  SplitResult,
  WorkflowInput,
  WorkflowOutput,
} from '@invoice/shared/flow/types';
import { LLM_RETRY_POLICY, type RetryPolicy } from '@invoice/shared/llm/retry-policy';
import { type Deadline, whenAllWithRetries } from './retry';

/** A durable timer firing `ms` after the current (replayed) workflow time. createTimer(number) means seconds. */
const timerIn = (ctx: WorkflowContext, ms: number) =>
  ctx.createTimer(new Date(ctx.getCurrentUtcDateTime().getTime() + ms));

/**
 * The invoice flow on Dapr Workflow: split, one extract per page all at once, aggregate, then,
 * when aggregation found discrepancies, a wait for a person's decision.
 * Only blob keys and small numbers pass through here (claim-check), so workflow history stays
 * far below Dapr's ~4 MB gRPC message limit whatever the page count. The SDK has no activity
 * retry policy, so every call goes through whenAllWithRetries (durable timers, retry.ts).
 * It must be an *async* generator: the SDK "completes" a plain generator without running it.
 */
export async function* invoiceWorkflow(
  ctx: WorkflowContext,
  input: WorkflowInput,
): AsyncGenerator<Task<unknown>, WorkflowOutput, Task<unknown>> {
  const { invoiceId, pdfKey, acceptedAt, deadlineMs } = input;
  // The deadline is one durable timer (a scheduler job) raced by every whenAny of the
  // processing; when it wins, the workflow fails. Dapr cannot cancel an activity already
  // running: it finishes in the app and its result is dropped (SPEC.md, issue 16).
  const deadline: Deadline | undefined = deadlineMs
    ? { timer: timerIn(ctx, deadlineMs), message: deadlineMessage(deadlineMs) }
    : undefined;
  const call = <T>(activity: string, args: object, policy: RetryPolicy = LLM_RETRY_POLICY) =>
    whenAllWithRetries<T>(ctx, policy, [() => ctx.callActivity(activity, args)], deadline);

  const [split] = (yield* call<SplitResult>('split', { invoiceId, pdfKey }, SPLIT_RETRY_POLICY)) as [
    SplitResult,
  ];

  const extractions: ExtractResult[] = yield* whenAllWithRetries<ExtractResult>(
    ctx,
    LLM_RETRY_POLICY,
    split.pages.map((page) => (attempt) => ctx.callActivity('extract', { invoiceId, page, attempt })),
    deadline,
  );

  const [result] = (yield* call<WorkflowOutput>('aggregate', {
    invoiceId,
    acceptedAt,
    split: split.span,
    extractions,
  })) as [WorkflowOutput];
  if (!needsApproval(input, result)) return result;

  // The wait is not under the deadline: it has its own durable timer. The custom status rides
  // on the instance metadata that orchestrator.status() already reads; while the workflow
  // waits, no activity runs and the worker holds nothing (the instance is state in the store
  // plus a scheduler job for the timer).
  ctx.setCustomStatus(AWAITING_APPROVAL);
  const decided = ctx.waitForExternalEvent(APPROVAL_EVENT);
  const timeout = timerIn(ctx, input.approvalTimeoutMs!);
  const winner = yield ctx.whenAny([decided, timeout]);
  ctx.setCustomStatus('');
  const decision = winner === decided ? (decided.getResult() as ApprovalDecision) : undefined;
  const [output] = (yield* call<WorkflowOutput>('recordDecision', {
    invoiceId,
    invoiceKey: result.invoiceKey,
    approval: approvalOf(decision),
  })) as [WorkflowOutput];
  return output;
}
