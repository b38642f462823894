/** The only place blob keys are built. Ids are server-generated UUIDs. */
const pad = (n: number) => String(n).padStart(4, '0');

export const blobKeys = {
  invoicePrefix: (invoiceId: string) => `invoices/${invoiceId}/`,
  sourcePdf: (invoiceId: string) => `invoices/${invoiceId}/source.pdf`,
  /** the upload of an idempotent request, named by its sha256 (see contract/idempotency) */
  sourcePdfOf: (invoiceId: string, sha256: string) => `invoices/${invoiceId}/source-${sha256}.pdf`,
  pagePdf: (invoiceId: string, page: number) => `invoices/${invoiceId}/pages/${pad(page)}.pdf`,
  pagePng: (invoiceId: string, page: number) => `invoices/${invoiceId}/pages/${pad(page)}.png`,
  pageText: (invoiceId: string, page: number) => `invoices/${invoiceId}/pages/${pad(page)}.txt`,
  extraction: (invoiceId: string, page: number) => `invoices/${invoiceId}/extractions/${pad(page)}.json`,
  invoice: (invoiceId: string) => `invoices/${invoiceId}/invoice.json`,
  timings: (invoiceId: string) => `invoices/${invoiceId}/timings.json`,
  /** Keys of a synthetic run (flow/synthetic.ts): never written, they only name the work. */
  syntheticPage: (invoiceId: string, page: number, latencyMs: number) =>
    `invoices/${invoiceId}/synthetic/${pad(page)}-${latencyMs}ms`,
  syntheticExtraction: (invoiceId: string, page: number) =>
    `invoices/${invoiceId}/synthetic/${pad(page)}.json`,
};
