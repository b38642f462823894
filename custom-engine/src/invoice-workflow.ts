import type { Activities } from '@invoice/shared/flow/activities';
import { APPROVAL_EVENT, approvalOf } from '@invoice/shared/flow/approval';
import type {
  AggregateResult,
  ApprovalDecision,
  ExtractResult,
  PageRef,
  SplitResult,
  WorkflowInput,
} from '@invoice/shared/flow/types';
import { LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import type { WorkflowInput as Definition } from './engine/definition';
import type { StepHandler } from './engine/worker';

/**
 * The invoice flow on the custom engine: split -> one extract per page (a map over the split's
 * pages, each page its own durable step) -> aggregate, under the execution's deadline
 * (input.deadlineMs); then, only when aggregation found discrepancies, an `event` step waits for
 * the approval event (durable timer: input.approvalTimeoutMs) and recordDecision writes the
 * decision on the invoice. The definition is data; the handlers only adapt the engine's step
 * context to the shared activities.
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

/**
 * needsApproval (shared/src/flow/approval.ts) as the JSONata `when` the engine evaluates over the
 * context; invoice-workflow.test.ts checks the two agree on every input.
 */
export const NEEDS_APPROVAL = 'aggregate.discrepancyCount > 0 and approvalTimeoutMs > 0';

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
    {
      id: 'approval',
      action: 'event',
      dependencies: ['aggregate'],
      when: NEEDS_APPROVAL,
      params: { name: APPROVAL_EVENT, timeout: '{{context.approvalTimeoutMs}}' },
    },
    {
      id: 'recordDecision',
      action: 'invoice.recordDecision',
      dependencies: ['approval'],
      when: '$exists(approval)',
      retryPolicy: localRetry,
    },
  ],
  // The approval wait is not under the deadline: it has its own timer.
  deadline: { after: '{{context.deadlineMs}}', until: ['aggregate'] },
  output: '$exists(recordDecision) ? recordDecision : aggregate',
} satisfies Definition;

/** What the engine's `event` step answers (builtins.ts). */
type EventResult = { event: string; payload: unknown; timedOut: boolean };

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
    'invoice.recordDecision': (ctx) => {
      const waited = ctx.results.approval as EventResult;
      return activities.recordDecision({
        invoiceId: input(ctx).invoiceId,
        invoiceKey: (ctx.results.aggregate as AggregateResult).invoiceKey,
        approval: approvalOf(waited.timedOut ? undefined : (waited.payload as ApprovalDecision)),
      });
    },
  };
}

export const INVOICE_ACTIONS = [
  'invoice.split',
  'invoice.extract',
  'invoice.aggregate',
  'invoice.recordDecision',
];
