import type { Activities } from '@invoice/shared/flow/activities';
import type { ExtractResult, PageRef, SplitResult, WorkflowInput } from '@invoice/shared/flow/types';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import type { WorkflowInput as Definition } from './engine/definition';
import type { StepHandler } from './engine/worker';

/**
 * The invoice flow on the custom engine: split -> one extract per page (a map over the split's
 * pages, each page its own durable step) -> aggregate. The definition is data; the handlers
 * only adapt the engine's step context to the shared activities.
 */
export const INVOICE_WORKFLOW_ID = 'invoice';

/** The shared LLM retry policy in the engine's terms; the engine does the retrying. */
const llmRetry = {
  maxAttempts: LLM_RETRY_POLICY.maxAttempts,
  initialDelay: LLM_RETRY_POLICY.initialDelayMs,
  backoffMultiplier: LLM_RETRY_POLICY.backoffMultiplier,
  maxDelay: LLM_RETRY_POLICY.maxDelayMs,
  jitter: LLM_RETRY_POLICY.jitter,
};
/** split and aggregate touch only blob storage: a couple of quick retries cover a hiccup. */
const localRetry = { maxAttempts: 3, initialDelay: 200, backoffMultiplier: 2, maxDelay: 1_000, jitter: 0.2 };

export const invoiceWorkflow = {
  id: INVOICE_WORKFLOW_ID,
  name: 'Invoice extraction',
  steps: [
    { id: 'split', action: 'invoice.split', retryPolicy: localRetry },
    {
      id: 'extract',
      type: 'map',
      items: 'split.pages',
      action: 'invoice.extract',
      dependencies: ['split'],
      retryPolicy: llmRetry,
      timeout: LLM_RETRY_POLICY.attemptTimeoutMs,
    },
    { id: 'aggregate', action: 'invoice.aggregate', dependencies: ['extract'], retryPolicy: localRetry },
  ],
} satisfies Definition;

export function invoiceHandlers(activities: Activities): Record<string, StepHandler> {
  const input = (ctx: { context: Record<string, unknown> }) =>
    ctx.context as WorkflowInput & Record<string, unknown>;
  return {
    'invoice.split': (ctx) =>
      activities.split({ invoiceId: input(ctx).invoiceId, pdfKey: input(ctx).pdfKey }),
    'invoice.extract': async (ctx) => ({
      ...(await activities.extract(
        { invoiceId: input(ctx).invoiceId, page: ctx.item as PageRef },
        ctx.signal,
      )),
      // The LLM client makes one call per attempt here; the engine's attempt number is the truth.
      attempts: ctx.attempt,
    }),
    'invoice.aggregate': (ctx) =>
      activities.aggregate({
        invoiceId: input(ctx).invoiceId,
        acceptedAt: input(ctx).acceptedAt,
        split: (ctx.context.split as SplitResult).span,
        extractions: ctx.context.extract as ExtractResult[],
      }),
  };
}

export const INVOICE_ACTIONS = ['invoice.split', 'invoice.extract', 'invoice.aggregate'];
