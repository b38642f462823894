import { describe, expect, it } from 'vitest';
import { aggregateInvoice, serializeInvoice } from '../domain/aggregate';
import { readPageText } from '../llm/read-page';
import { renderPage } from '../pdf/render';
import { splitPdf } from '../pdf/split';
import { validatePdf } from '../pdf/validate';
import { generateInvoicePdf } from './generate';

/** The flow without an orchestrator or an LLM server: what every stack must reproduce byte for byte. */
async function readInvoice(pdf: Uint8Array) {
  const { pageCount } = await validatePdf(pdf);
  const pages = await splitPdf(pdf);
  expect(pages).toHaveLength(pageCount);
  const extractions = [];
  for (const [index, page] of pages.entries()) {
    const { text } = await renderPage(page);
    extractions.push(readPageText(text, index + 1));
  }
  return aggregateInvoice(extractions);
}

describe('generated PDF -> split -> render -> readPageText -> aggregateInvoice', () => {
  for (const spec of [
    { seed: 11, pages: 1 },
    { seed: 12, pages: 3 },
    { seed: 13, pages: 10 },
    { seed: 12, pages: 3, totalMismatch: true },
  ]) {
    it(`gives back the expected invoice (${spec.pages} pages${spec.totalMismatch ? ', total mismatch' : ''})`, async () => {
      const { pdf, expected } = await generateInvoicePdf(spec);
      const invoice = await readInvoice(pdf);
      expect(serializeInvoice(invoice)).toBe(serializeInvoice(expected));
      expect(invoice.discrepancies.map((d) => d.code)).toEqual(spec.totalMismatch ? ['total_mismatch'] : []);
    });
  }
});
