import { blobStoreFromEnv } from '../blob/from-env';
import { blobKeys } from '../blob/keys';
import type { BlobStore } from '../blob/store';
import { aggregateInvoice, serializeInvoice } from '../domain/aggregate';
import { Invoice, PageExtraction } from '../domain/schemas';
import { type LlmClient, llmClientFromEnv } from '../llm/client';
import { checkStreamBudget, type WorkBudget, WorkBudgetError, workBudgetFromEnv } from '../pdf/budget';
import { renderPage } from '../pdf/render';
import { splitPdf } from '../pdf/split';
import { withSyntheticSet } from './synthetic';
import { testFaultOf } from './test-faults';
import { computeTimings } from './timings';
import type {
  AggregateInput,
  AggregateResult,
  ExtractInput,
  ExtractResult,
  PageRef,
  RecordDecisionInput,
  RecordDecisionResult,
  SplitInput,
  SplitResult,
} from './types';

export type ActivityDeps = {
  blobs: BlobStore;
  llm: LlmClient;
  /** the work one split may do (budget.ts); defaults to the budget from the environment */
  budget?: WorkBudget;
  /** TEST ONLY (test-faults.ts): honour fault markers in uploaded PDFs */
  testFaults?: boolean;
};

/**
 * The three activities of the flow, written once. Every stack wraps these thinly in its own
 * activity/handler shape. Each is idempotent: re-running it rewrites the same blobs with the
 * same bytes, so at-least-once delivery by any engine is safe.
 */
export function createActivities({
  blobs,
  llm,
  budget = workBudgetFromEnv(),
  testFaults = false,
}: ActivityDeps) {
  return {
    /**
     * Split and render within the work budget. The upload was checked against it already; this
     * checks again with the worker's own budget (the bytes may have been stored under another),
     * and stops a split that runs past its pixels or its time with a WorkBudgetError, which every
     * stack fails at once instead of retrying: the same bytes would cost the same again.
     */
    async split({ invoiceId, pdfKey }: SplitInput): Promise<SplitResult> {
      const startedAt = Date.now();
      const source = await blobs.get(pdfKey);
      if (testFaults) testFaultOf(source)?.();
      checkStreamBudget(source, budget);
      const pagePdfs = await splitPdf(source);
      const pages: PageRef[] = [];
      let pixels = 0;
      for (const [index, pdf] of pagePdfs.entries()) {
        const pageNumber = index + 1;
        const { png, text, scale, width, height } = await renderPage(pdf, {
          maxSidePx: budget.maxPageSidePx,
          maxImagePixels: budget.maxImagePixels,
        });
        pixels += width * height;
        if (pixels > budget.maxTotalPixels) {
          throw new WorkBudgetError(
            'render_budget_exceeded',
            `pages 1..${pageNumber} rendered to ${pixels} pixels; the budget per invoice is ${budget.maxTotalPixels}`,
          );
        }
        if (Date.now() - startedAt > budget.maxSplitMs) {
          throw new WorkBudgetError(
            'split_budget_exceeded',
            `split ran past ${budget.maxSplitMs} ms at page ${pageNumber} of ${pagePdfs.length}`,
          );
        }
        const ref: PageRef = {
          pageNumber,
          renderScale: scale,
          pdfKey: blobKeys.pagePdf(invoiceId, pageNumber),
          pngKey: blobKeys.pagePng(invoiceId, pageNumber),
          textKey: blobKeys.pageText(invoiceId, pageNumber),
        };
        await Promise.all([
          blobs.put(ref.pdfKey, pdf, 'application/pdf'),
          blobs.put(ref.pngKey, png, 'image/png'),
          blobs.put(ref.textKey, text, 'text/plain; charset=utf-8'),
        ]);
        pages.push(ref);
      }
      return { pages, span: { startedAt, finishedAt: Date.now() } };
    },

    /** cancelled: the run was cancelled (the engine's signal); the LLM call is aborted. */
    async extract({ invoiceId, page }: ExtractInput, cancelled?: AbortSignal): Promise<ExtractResult> {
      const startedAt = Date.now();
      const { extraction, attempts } = await llm.extract(
        { pageKey: page.textKey, pageNumber: page.pageNumber },
        cancelled,
      );
      const extractionKey = blobKeys.extraction(invoiceId, page.pageNumber);
      await blobs.put(extractionKey, JSON.stringify(extraction), 'application/json');
      return {
        pageNumber: page.pageNumber,
        extractionKey,
        attempts,
        span: { startedAt, finishedAt: Date.now() },
      };
    },

    async aggregate({ invoiceId, acceptedAt, split, extractions }: AggregateInput): Promise<AggregateResult> {
      const startedAt = Date.now();
      const pages = await Promise.all(
        extractions.map(async (e) => PageExtraction.parse(JSON.parse(await blobs.getText(e.extractionKey)))),
      );
      const invoice = aggregateInvoice(pages);
      const invoiceKey = blobKeys.invoice(invoiceId);
      await blobs.put(invoiceKey, serializeInvoice(invoice), 'application/json');
      const timings = computeTimings({
        acceptedAt,
        split,
        extract: extractions.map((e) => e.span),
        aggregate: { startedAt, finishedAt: Date.now() },
      });
      await blobs.put(blobKeys.timings(invoiceId), JSON.stringify(timings), 'application/json');
      return { invoiceKey, pageCount: invoice.pageCount, discrepancyCount: invoice.discrepancies.length };
    },

    /** Rewrites the invoice with the decision on it (same bytes on a re-run: idempotent). */
    async recordDecision({ invoiceKey, approval }: RecordDecisionInput): Promise<RecordDecisionResult> {
      const invoice = Invoice.parse(JSON.parse(await blobs.getText(invoiceKey)));
      const decided = { ...invoice, approval };
      await blobs.put(invoiceKey, serializeInvoice(decided), 'application/json');
      return {
        invoiceKey,
        pageCount: invoice.pageCount,
        discrepancyCount: invoice.discrepancies.length,
        approval,
      };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * The activities wired from environment variables, as every worker process builds them.
 * ACTIVITY_MODE=synthetic puts the synthetic set (flow/synthetic.ts) in front of them for
 * uploads that ask for it: the engine-only benchmark; unset or `real`, the activities as they are.
 */
export function activitiesFromEnv(
  options: { retries: 'in-process' | 'engine' },
  env = process.env,
): Activities {
  const blobs = blobStoreFromEnv(env);
  const real = createActivities({
    blobs,
    llm: llmClientFromEnv(options.retries, env),
    budget: workBudgetFromEnv(env),
    testFaults: env.SPLIT_TEST_FAULTS === '1',
  });
  const mode = env.ACTIVITY_MODE || 'real';
  if (mode === 'real') return real;
  if (mode === 'synthetic') return withSyntheticSet(real, blobs);
  throw new Error(`ACTIVITY_MODE must be real or synthetic, not "${mode}"`);
}
