import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import type { WorkBudgetCode } from '../pdf/budget';
import { fixPdfMetadata } from '../pdf/split';
import { DEFAULT_PDF_MAX_BYTES, DEFAULT_PDF_MAX_PAGES, type PdfValidationCode } from '../pdf/validate';
import type { InvoiceSpec } from './generate';
import {
  bigPagesPdf,
  countTooHighPdf,
  countTooLowPdf,
  deflateBombPdf,
  giantPagePdf,
  hugeImagePdf,
} from './hostile';

/** The repo's data/ folder, found from this file so it works from any working directory. */
export const DATA_DIR = fileURLToPath(new URL('../../../data/', import.meta.url));
const dataPath = (relative: string) =>
  fileURLToPath(new URL(relative, new URL('../../../data/', import.meta.url)));

export type Sample = {
  name: string;
  pdfPath: string;
  goldenPath: string;
  pages: number;
  /** how tools/src/samples/write-samples.ts generates it */
  spec: InvoiceSpec;
};

function sample(name: string, spec: InvoiceSpec): Sample {
  return {
    name,
    pdfPath: dataPath(`samples/${name}.pdf`),
    goldenPath: dataPath(`golden/${name}.json`),
    pages: spec.pages,
    spec,
  };
}

/** Committed sample invoices and their golden JSON (serializeInvoice output, byte for byte). */
export const SAMPLES: readonly Sample[] = [
  sample('invoice-1p', { seed: 101, pages: 1 }),
  sample('invoice-3p', { seed: 103, pages: 3 }),
  sample('invoice-10p', { seed: 110, pages: 10 }),
  sample('invoice-50p', { seed: 150, pages: 50 }),
  // The clean 3-page invoice's twin: same seed, only the printed total differs.
  sample('invoice-3p-total-mismatch', { seed: 103, pages: 3, totalMismatch: true }),
];

export type BadInput = {
  name: string;
  /** the committed file, when the input is one; `load()` works for every input */
  path?: string;
  load: () => Promise<Uint8Array>;
  contentType: string;
  status: number;
  code: PdfValidationCode | 'unsupported_media_type';
};

const file = (relative: string) => {
  const path = dataPath(relative);
  return { path, load: async () => new Uint8Array(await readFile(path)) };
};

/**
 * Inputs every stack must refuse before starting a workflow, with the status and error code of
 * the contract. Large ones are generated on demand instead of committed.
 */
export const BAD_INPUTS: readonly BadInput[] = [
  {
    name: 'empty',
    ...file('bad/empty.pdf'),
    contentType: 'application/pdf',
    status: 400,
    code: 'empty_body',
  },
  {
    name: 'not-a-pdf',
    ...file('bad/not-a-pdf.txt'),
    contentType: 'application/pdf',
    status: 422,
    code: 'not_a_pdf',
  },
  {
    name: 'truncated',
    ...file('bad/truncated.pdf'),
    contentType: 'application/pdf',
    status: 422,
    code: 'unparseable_pdf',
  },
  {
    name: 'encrypted',
    ...file('bad/encrypted.pdf'),
    contentType: 'application/pdf',
    status: 422,
    code: 'encrypted_pdf',
  },
  {
    name: 'wrong-content-type',
    load: async () => new Uint8Array(await readFile(dataPath('samples/invoice-1p.pdf'))),
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'too-many-pages',
    load: () => manyPagesPdf(DEFAULT_PDF_MAX_PAGES + 1),
    contentType: 'application/pdf',
    status: 422,
    code: 'too_many_pages',
  },
  {
    name: 'too-large',
    load: async () => oversizedBody(DEFAULT_PDF_MAX_BYTES + 1),
    contentType: 'application/pdf',
    status: 413,
    code: 'too_large',
  },
];

/** A valid PDF of `pages` tiny blank pages: breaks the page limit while staying a few KB per page. */
export async function manyPagesPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (let i = 0; i < pages; i++) doc.addPage([72, 72]);
  fixPdfMetadata(doc, `${pages} blank pages`);
  return doc.save();
}

/** `bytes` bytes that start like a PDF, so only the size check can refuse them. */
export function oversizedBody(bytes: number): Uint8Array {
  const body = new Uint8Array(bytes).fill(0x20);
  body.set(new TextEncoder().encode('%PDF-1.7\n'));
  return body;
}

/**
 * Uploads that cost far more than their size (budget.ts): each is either refused at upload with
 * its own code, or processed within the budget into a known golden invoice. Small ones are
 * committed under data/hostile/ (`make` regenerates them); the bomb is made at test time.
 */
export type HostileInput = {
  name: string;
  /** what it is, for data/README.md and test titles */
  what: string;
  /** the committed file, when it is one */
  path?: string;
  make: () => Promise<Uint8Array>;
  load: () => Promise<Uint8Array>;
} & (
  | { status: 422; code: WorkBudgetCode | 'too_many_pages' }
  /** processed: the invoice equals this sample's golden JSON */
  | { status: 200; golden: string }
);

const invoice1p = async () => new Uint8Array(await readFile(dataPath('samples/invoice-1p.pdf')));

function hostile<T extends Omit<HostileInput, 'load' | 'path'>>(input: T, committed = true) {
  if (!committed) return { ...input, load: input.make };
  return { ...input, ...file(`hostile/${input.name}.pdf`) };
}

export const HOSTILE_INPUTS: readonly HostileInput[] = [
  hostile({
    name: 'giant-page',
    what: 'invoice-1p on a 14,400 × 14,400 pt page (207 MP at scale 1)',
    make: async () => giantPagePdf(await invoice1p()),
    status: 200,
    golden: 'invoice-1p',
  }),
  hostile({
    name: 'many-big-pages',
    what: '200 blank pages of 3,000 × 3,000 pt (4 MP each at the 2,000 px cap: 800 MP)',
    make: () => bigPagesPdf(200, 3_000),
    status: 422,
    code: 'render_budget_exceeded',
  }),
  hostile(
    {
      name: 'deflate-bomb',
      what: 'one page whose ~94 KB content stream inflates to 96 MiB',
      make: () => deflateBombPdf(),
      status: 422,
      code: 'decompression_bomb',
    },
    false,
  ),
  hostile({
    name: 'huge-image',
    what: 'one page with a 20,000 × 20,000 image declared by 4 bytes of JPEG',
    make: () => hugeImagePdf(),
    status: 422,
    code: 'image_too_large',
  }),
  hostile({
    name: 'count-too-low',
    what: `${DEFAULT_PDF_MAX_PAGES + 1} pages behind a page tree /Count of 1`,
    make: () => countTooLowPdf(DEFAULT_PDF_MAX_PAGES + 1),
    status: 422,
    code: 'too_many_pages',
  }),
  hostile({
    name: 'count-too-high',
    what: 'invoice-1p with a page tree /Count of 1,000,000',
    make: async () => countTooHighPdf(await invoice1p()),
    status: 200,
    golden: 'invoice-1p',
  }),
];
