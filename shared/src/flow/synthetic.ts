import { setTimeout as sleep } from 'node:timers/promises';
import { PDFDict, PDFDocument, PDFName, PDFString } from 'pdf-lib';
import { blobKeys } from '../blob/keys';
import type { BlobStore } from '../blob/store';
import { serializeInvoice } from '../domain/aggregate';
import type { Invoice } from '../domain/schemas';
import type { Activities } from './activities';
import { computeTimings } from './timings';
import type { PageRef } from './types';

/**
 * The synthetic activity set: the same three activities with the PDF and LLM work taken out,
 * so a benchmark measures what the engine itself costs. split returns N page refs without
 * rendering anything, extract sleeps L ms (or returns at once for L = 0) without calling the
 * LLM, aggregate writes an invoice that only carries the page count.
 *
 * It is switched on by configuration (ACTIVITY_MODE=synthetic, read in activitiesFromEnv) and
 * then applies per run: an upload that carries a synthetic spec (syntheticSpecPdf) runs the
 * synthetic set, any other upload the real activities. So one running stack serves both, and
 * the orchestration file that runs is always the stack's normal one.
 */
export type SyntheticSpec = { pages: number; latencyMs: number };

/** The invoice number a synthetic run's invoice carries, so a client can tell where it came from. */
export const SYNTHETIC_INVOICE_NUMBER = 'synthetic';

// An Info-dictionary entry written as a literal string, so it can be read back from the raw bytes.
const SPEC_KEY = 'InvoiceSyntheticSpec';
const SPEC_PATTERN = new RegExp(`/${SPEC_KEY} \\(pages=(\\d+) latencyMs=(\\d+)\\)`);

/**
 * A valid one-page PDF (it passes the contract's upload validation) that asks for a synthetic
 * run of `pages` pages at `latencyMs` per extract. Page counts above the upload limit work too:
 * the PDF itself has one page.
 */
export async function syntheticSpecPdf(spec: SyntheticSpec): Promise<Uint8Array> {
  if (!Number.isInteger(spec.pages) || spec.pages < 1)
    throw new Error(`pages must be >= 1, not ${spec.pages}`);
  if (!Number.isInteger(spec.latencyMs) || spec.latencyMs < 0)
    throw new Error(`latencyMs must be an integer >= 0, not ${spec.latencyMs}`);
  const doc = await PDFDocument.create();
  doc.addPage([200, 200]);
  const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
  info.set(PDFName.of(SPEC_KEY), PDFString.of(`pages=${spec.pages} latencyMs=${spec.latencyMs}`));
  // Without object streams the Info dictionary stays plain text: no PDF parser is needed to read it.
  return doc.save({ useObjectStreams: false });
}

/** The spec an upload carries, or undefined for an ordinary PDF. A byte scan: no parsing, no rendering. */
export function readSyntheticSpec(pdf: Uint8Array): SyntheticSpec | undefined {
  const match = SPEC_PATTERN.exec(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1'));
  return match ? { pages: Number(match[1]), latencyMs: Number(match[2]) } : undefined;
}

/**
 * Page refs of a synthetic run. The keys stay under the invoice's prefix like real ones (nothing
 * is ever written there) and the text key carries L, so extract needs no lookup to know it.
 */
export function syntheticPageRef(invoiceId: string, pageNumber: number, latencyMs: number): PageRef {
  return {
    pageNumber,
    // Nothing is rendered in a synthetic run; 1 is what an ordinary page would record.
    renderScale: 1,
    pdfKey: blobKeys.pagePdf(invoiceId, pageNumber),
    pngKey: blobKeys.pagePng(invoiceId, pageNumber),
    textKey: blobKeys.syntheticPage(invoiceId, pageNumber, latencyMs),
  };
}

/** L of a synthetic page ref, or undefined for a real one. */
export function syntheticLatencyOf(page: PageRef): number | undefined {
  const match = /\/synthetic\/\d+-(\d+)ms$/.exec(page.textKey);
  return match ? Number(match[1]) : undefined;
}

const isSyntheticExtraction = (key: string) => key.includes('/synthetic/');

/** What a synthetic run's aggregate stores: a valid invoice that says only how many pages ran. */
export function syntheticInvoice(pageCount: number): Invoice {
  return {
    invoiceNumber: SYNTHETIC_INVOICE_NUMBER,
    invoiceDate: null,
    dueDate: null,
    currency: null,
    vendor: null,
    customer: null,
    lineItems: [],
    subtotal: null,
    tax: null,
    total: null,
    pageCount,
    discrepancies: [],
  };
}

/** The real activities with the synthetic set in front: a synthetic run never reaches them. */
export function withSyntheticSet(real: Activities, blobs: BlobStore): Activities {
  return {
    async split(input) {
      const startedAt = Date.now();
      // The same read the real split starts with; the rest of the real split is what is left out.
      const pdf = await blobs.get(input.pdfKey);
      const spec = readSyntheticSpec(pdf);
      if (!spec) return real.split(input);
      const pages = Array.from({ length: spec.pages }, (_, i) =>
        syntheticPageRef(input.invoiceId, i + 1, spec.latencyMs),
      );
      return { pages, span: { startedAt, finishedAt: Date.now() } };
    },

    async extract(input, cancelled) {
      const latencyMs = syntheticLatencyOf(input.page);
      // A real page keeps its cancel signal: a cancelled run or a deadline aborts its LLM call.
      if (latencyMs === undefined) return real.extract(input, cancelled);
      const startedAt = Date.now();
      if (latencyMs > 0) await sleep(latencyMs);
      return {
        pageNumber: input.page.pageNumber,
        extractionKey: blobKeys.syntheticExtraction(input.invoiceId, input.page.pageNumber),
        attempts: 1,
        span: { startedAt, finishedAt: Date.now() },
      };
    },

    async aggregate(input) {
      if (!input.extractions.every((e) => isSyntheticExtraction(e.extractionKey)))
        return real.aggregate(input);
      const startedAt = Date.now();
      const invoiceKey = blobKeys.invoice(input.invoiceId);
      // The contract answers with the stored invoice, so one small blob is still written.
      await blobs.put(
        invoiceKey,
        serializeInvoice(syntheticInvoice(input.extractions.length)),
        'application/json',
      );
      const timings = computeTimings({
        acceptedAt: input.acceptedAt,
        split: input.split,
        extract: input.extractions.map((e) => e.span),
        aggregate: { startedAt, finishedAt: Date.now() },
      });
      await blobs.put(blobKeys.timings(input.invoiceId), JSON.stringify(timings), 'application/json');
      return { invoiceKey, pageCount: input.extractions.length, discrepancyCount: 0 };
    },
    // A synthetic invoice has no discrepancies, so it never waits for a decision.
    recordDecision: real.recordDecision,
  };
}
