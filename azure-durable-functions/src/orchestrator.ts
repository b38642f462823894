import type { ExtractResult, SplitResult, WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { ACTIVITY } from './names';
import { llmRetryOptions } from './retry-options';

const retry = llmRetryOptions();

/**
 * The invoice flow as a Durable Functions orchestrator: split, one extract per page in parallel
 * (each retried by the framework per the shared LLM policy), then aggregate. It is replayed from
 * history after every step, so it only ever sees blob keys and small numbers (claim-check).
 */
export const invoiceOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { invoiceId, pdfKey, acceptedAt } = context.df.getInput() as WorkflowInput;

  const split: SplitResult = yield context.df.callActivity(ACTIVITY.split, { invoiceId, pdfKey });

  const extractions: ExtractResult[] = yield context.df.Task.all(
    split.pages.map((page) => context.df.callActivityWithRetry(ACTIVITY.extract, retry, { invoiceId, page })),
  );

  const output: WorkflowOutput = yield context.df.callActivity(ACTIVITY.aggregate, {
    invoiceId,
    acceptedAt,
    split: split.span,
    extractions,
  });
  return output;
};
