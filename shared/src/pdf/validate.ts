import { EncryptedPDFError, PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import {
  checkPixelBudget,
  checkStreamBudget,
  DEFAULT_WORK_BUDGET,
  type WorkBudget,
  WorkBudgetError,
  workBudgetFromEnv,
} from './budget';

export type PdfLimits = { maxBytes?: number; maxPages?: number; budget?: WorkBudget };

export const DEFAULT_PDF_MAX_BYTES = 25 * 1024 * 1024;
export const DEFAULT_PDF_MAX_PAGES = 500;

export type PdfValidationCode =
  | 'empty_body'
  | 'too_large'
  | 'not_a_pdf'
  | 'unparseable_pdf'
  | 'encrypted_pdf'
  | 'no_pages'
  | 'too_many_pages'
  | 'render_budget_exceeded'
  | 'decompression_bomb'
  | 'image_too_large';

const STATUS: Record<PdfValidationCode, number> = {
  empty_body: 400,
  too_large: 413,
  not_a_pdf: 422,
  unparseable_pdf: 422,
  encrypted_pdf: 422,
  no_pages: 422,
  too_many_pages: 422,
  render_budget_exceeded: 422,
  decompression_bomb: 422,
  image_too_large: 422,
};

/** A rejected upload; `status` is the HTTP status the contract answers with. */
export class PdfValidationError extends Error {
  readonly status: number;
  constructor(
    readonly code: PdfValidationCode,
    message: string,
  ) {
    super(message);
    this.name = 'PdfValidationError';
    this.status = STATUS[code];
  }
}

/**
 * Limits from PDF_MAX_BYTES / PDF_MAX_PAGES and the work budget's variables (budget.ts); unset or
 * invalid values fall back to the defaults.
 */
export function pdfLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Required<PdfLimits> {
  const positiveInt = (value: string | undefined, fallback: number) => {
    const n = Number(value);
    return value !== undefined && value.trim() !== '' && Number.isInteger(n) && n > 0 ? n : fallback;
  };
  return {
    maxBytes: positiveInt(env.PDF_MAX_BYTES, DEFAULT_PDF_MAX_BYTES),
    maxPages: positiveInt(env.PDF_MAX_PAGES, DEFAULT_PDF_MAX_PAGES),
    budget: workBudgetFromEnv(env),
  };
}

const MAGIC = new TextEncoder().encode('%PDF-');
const EOF_MARKER = new TextEncoder().encode('%%EOF');
// Readers (Acrobat included) accept %%EOF anywhere in the last 1024 bytes; trailing junk is common.
const EOF_WINDOW = 1024;

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && indexOf(bytes.subarray(0, prefix.length), prefix) === 0;
}

/** Whether the file's trailer (classic or xref-stream dictionary) names an /Encrypt dictionary. */
function declaresEncryption(bytes: Uint8Array): boolean {
  // latin1 keeps one char per byte; /Encrypt is a name token in the (unencrypted) trailer dictionary.
  return /\/Encrypt[\s/<[(0-9]/.test(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'),
  );
}

/**
 * Validates an uploaded PDF before any work starts, cheapest checks first, and returns its page
 * count. Each failure has its own code so the API can answer with a specific 4xx.
 */
export async function validatePdf(bytes: Uint8Array, limits: PdfLimits = {}): Promise<{ pageCount: number }> {
  const maxBytes = limits.maxBytes ?? DEFAULT_PDF_MAX_BYTES;
  const maxPages = limits.maxPages ?? DEFAULT_PDF_MAX_PAGES;

  if (bytes.length === 0)
    throw new PdfValidationError('empty_body', 'The request body is empty; send a PDF file.');
  if (bytes.length > maxBytes) {
    throw new PdfValidationError(
      'too_large',
      `The PDF is ${bytes.length} bytes; the limit is ${maxBytes} bytes.`,
    );
  }
  if (!startsWith(bytes, MAGIC)) {
    throw new PdfValidationError('not_a_pdf', 'The body is not a PDF: it does not start with "%PDF-".');
  }
  // pdf-lib recovers whatever objects it can find, so a file cut in half can still "load";
  // a missing end-of-file marker is the reliable sign of truncation.
  if (indexOf(bytes, EOF_MARKER, Math.max(0, bytes.length - EOF_WINDOW)) === -1) {
    throw new PdfValidationError('unparseable_pdf', 'The PDF is truncated: no %%EOF marker at its end.');
  }

  const budget = limits.budget ?? DEFAULT_WORK_BUDGET;
  // Before pdf-lib loads the file: loading inflates its object streams, with no limit.
  budgeted(() => checkStreamBudget(bytes, budget));

  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, {
      ignoreEncryption: true,
      throwOnInvalidObject: true,
      updateMetadata: false,
    });
  } catch (error) {
    // Encrypted object streams are unreadable without the key, so parsing may fail on them.
    if (error instanceof EncryptedPDFError || declaresEncryption(bytes)) {
      throw new PdfValidationError('encrypted_pdf', 'The PDF is encrypted; upload an unencrypted file.');
    }
    throw new PdfValidationError(
      'unparseable_pdf',
      `The PDF cannot be parsed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (doc.isEncrypted) {
    throw new PdfValidationError('encrypted_pdf', 'The PDF is encrypted; upload an unencrypted file.');
  }

  let pageCount: number;
  try {
    pageCount = doc.getPageCount();
  } catch (error) {
    throw new PdfValidationError(
      'unparseable_pdf',
      `The PDF's page tree cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (pageCount === 0) throw new PdfValidationError('no_pages', 'The PDF has no pages.');
  if (pageCount > maxPages) {
    throw new PdfValidationError(
      'too_many_pages',
      `The PDF has ${pageCount} pages; the limit is ${maxPages}.`,
    );
  }
  budgeted(() => checkPixelBudget(pageSizes(doc), budget));
  return { pageCount };
}

/** A budget failure found at upload is a 422 with the budget's code. */
function budgeted(check: () => unknown) {
  try {
    check();
  } catch (error) {
    // split_budget_exceeded is only found while splitting; the upload checks give the other codes.
    if (error instanceof WorkBudgetError && error.code !== 'split_budget_exceeded')
      throw new PdfValidationError(error.code, error.message);
    throw error;
  }
}

/**
 * Each page's size at scale 1 in pixels, as pdfjs will render it: the MediaBox (inherited from
 * the page tree when the page has none; pdfjs crops to CropBox ∩ MediaBox, never larger) times
 * the page's /UserUnit, which pdfjs applies to the viewport.
 */
export function pageSizes(doc: PDFDocument): { width: number; height: number }[] {
  return doc.getPages().map((page) => {
    const { width, height } = page.getMediaBox();
    const unit = page.node.lookupMaybe(PDFName.of('UserUnit'), PDFNumber)?.asNumber() ?? 1;
    const scale = Number.isFinite(unit) && unit > 0 ? unit : 1;
    return { width: Math.abs(width) * scale, height: Math.abs(height) * scale };
  });
}
