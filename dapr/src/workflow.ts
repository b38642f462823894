import type { Task, WorkflowContext } from '@dapr/dapr';
import { SPLIT_RETRY_POLICY } from '@invoice/shared/flow/split-policy';
import type { ExtractResult, SplitResult, WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { LLM_RETRY_POLICY, type RetryPolicy } from '@invoice/shared/llm/retry-policy';
import { whenAllWithRetries } from './retry';

/**
 * The invoice flow on Dapr Workflow: split, one extract per page all at once, aggregate.
 * Only blob keys and small numbers pass through here (claim-check), so workflow history stays
 * far below Dapr's ~4 MB gRPC message limit whatever the page count. The SDK has no activity
 * retry policy, so every call goes through whenAllWithRetries (durable timers, retry.ts).
 * It must be an *async* generator: the SDK "completes" a plain generator without running it.
 */
export async function* invoiceWorkflow(
  ctx: WorkflowContext,
  input: WorkflowInput,
): AsyncGenerator<Task<unknown>, WorkflowOutput, Task<unknown>> {
  const { invoiceId, pdfKey, acceptedAt } = input;
  const call = <T>(activity: string, args: object, policy: RetryPolicy = LLM_RETRY_POLICY) =>
    whenAllWithRetries<T>(ctx, policy, [() => ctx.callActivity(activity, args)]);

  const [split] = (yield* call<SplitResult>('split', { invoiceId, pdfKey }, SPLIT_RETRY_POLICY)) as [
    SplitResult,
  ];

  const extractions: ExtractResult[] = yield* whenAllWithRetries<ExtractResult>(
    ctx,
    LLM_RETRY_POLICY,
    split.pages.map((page) => (attempt) => ctx.callActivity('extract', { invoiceId, page, attempt })),
  );

  const [output] = (yield* call<WorkflowOutput>('aggregate', {
    invoiceId,
    acceptedAt,
    split: split.span,
    extractions,
  })) as [WorkflowOutput];
  return output;
}
