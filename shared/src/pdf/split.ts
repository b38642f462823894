import { PDFDocument } from 'pdf-lib';

/**
 * A fixed date for every PDF we write: pdf-lib stamps "now" by default, which would make the
 * bytes differ run to run and break blob idempotency (activities may be re-run by any engine).
 */
export const FIXED_PDF_DATE = new Date('2026-01-01T00:00:00Z');

/** Sets the same metadata on every document so its bytes depend only on its content. */
export function fixPdfMetadata(doc: PDFDocument, title?: string): void {
  if (title !== undefined) doc.setTitle(title);
  doc.setProducer('invoice-orchestration');
  doc.setCreator('invoice-orchestration');
  doc.setCreationDate(FIXED_PDF_DATE);
  doc.setModificationDate(FIXED_PDF_DATE);
}

/** Splits a PDF into one single-page PDF per page, in page order. Same input, same bytes. */
export async function splitPdf(bytes: Uint8Array): Promise<Uint8Array[]> {
  const source = await PDFDocument.load(bytes, { updateMetadata: false });
  const pages: Uint8Array[] = [];
  for (const index of source.getPageIndices()) {
    const page = await PDFDocument.create({ updateMetadata: false });
    const [copied] = await page.copyPages(source, [index]);
    page.addPage(copied);
    fixPdfMetadata(page);
    pages.push(await page.save());
  }
  return pages;
}
