import { readFile } from 'node:fs/promises';
import { PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { BAD_INPUTS, manyPagesPdf, oversizedBody, SAMPLES } from '../samples/corpus';
import { DEFAULT_WORK_BUDGET } from './budget';
import { PdfValidationError, pdfLimitsFromEnv, validatePdf } from './validate';

async function rejection(bytes: Uint8Array, limits?: Parameters<typeof validatePdf>[1]) {
  const error = await validatePdf(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PdfValidationError);
  return error as PdfValidationError;
}

const sample3 = () =>
  readFile(SAMPLES.find((s) => s.name === 'invoice-3p')!.pdfPath).then((b) => new Uint8Array(b));

describe('validatePdf', () => {
  it('accepts every committed sample and returns its page count', async () => {
    for (const sample of SAMPLES) {
      const bytes = new Uint8Array(await readFile(sample.pdfPath));
      await expect(validatePdf(bytes)).resolves.toEqual({ pageCount: sample.pages });
    }
  });

  it('refuses an empty body with 400 empty_body', async () => {
    const error = await rejection(new Uint8Array());
    expect([error.status, error.code]).toEqual([400, 'empty_body']);
    expect(error.message).toMatch(/empty/);
  });

  it('refuses an oversized body with 413 too_large, before parsing it', async () => {
    const error = await rejection(oversizedBody(2048), { maxBytes: 2047 });
    expect([error.status, error.code]).toEqual([413, 'too_large']);
    expect(error.message).toContain('2047');
  });

  it('refuses a body without %PDF- magic with 422 not_a_pdf', async () => {
    const error = await rejection(new TextEncoder().encode('hello, this is text'));
    expect([error.status, error.code]).toEqual([422, 'not_a_pdf']);
  });

  it('refuses a PDF cut in half with 422 unparseable_pdf', async () => {
    const whole = await sample3();
    const error = await rejection(whole.subarray(0, Math.floor(whole.length / 2)));
    expect([error.status, error.code]).toEqual([422, 'unparseable_pdf']);
  });

  it('refuses garbage that starts with %PDF- and ends with %%EOF with 422 unparseable_pdf', async () => {
    const error = await rejection(
      new TextEncoder().encode('%PDF-1.7\nthis is not a pdf body at all\n%%EOF\n'),
    );
    expect([error.status, error.code]).toEqual([422, 'unparseable_pdf']);
  });

  it('refuses a real (qpdf, AES-256) encrypted PDF with 422 encrypted_pdf', async () => {
    const input = BAD_INPUTS.find((i) => i.name === 'encrypted')!;
    const error = await rejection(await input.load());
    expect([error.status, error.code]).toEqual([422, 'encrypted_pdf']);
  });

  it('refuses a PDF whose trailer names an /Encrypt dictionary but that parses fine', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.addPage([72, 72]);
    const encrypt = doc.context.obj({
      Filter: PDFName.of('Standard'),
      V: PDFNumber.of(1),
      R: PDFNumber.of(2),
    });
    doc.context.trailerInfo.Encrypt = doc.context.register(encrypt);
    const error = await rejection(await doc.save({ useObjectStreams: false }));
    expect([error.status, error.code]).toEqual([422, 'encrypted_pdf']);
  });

  it('refuses a PDF with no pages with 422 no_pages', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    // pdf-lib adds a blank page on save unless told not to.
    const error = await rejection(await doc.save({ addDefaultPage: false }));
    expect([error.status, error.code]).toEqual([422, 'no_pages']);
  });

  it('refuses more pages than the limit with 422 too_many_pages, and accepts exactly the limit', async () => {
    const error = await rejection(await manyPagesPdf(4), { maxPages: 3 });
    expect([error.status, error.code]).toEqual([422, 'too_many_pages']);
    expect(error.message).toContain('4 pages');
    await expect(validatePdf(await manyPagesPdf(3), { maxPages: 3 })).resolves.toEqual({ pageCount: 3 });
  });

  it('refuses the default-limit-breaking PDF (501 pages) with the default limits', async () => {
    const error = await rejection(await manyPagesPdf(501));
    expect(error.code).toBe('too_many_pages');
  });

  it('refuses every committed bad input with the code the corpus states', async () => {
    for (const input of BAD_INPUTS.filter((i) => i.path)) {
      const error = await rejection(await input.load());
      expect({ name: input.name, status: error.status, code: error.code }).toEqual({
        name: input.name,
        status: input.status,
        code: input.code,
      });
    }
  });
});

describe('pdfLimitsFromEnv', () => {
  it('defaults to 25 MB and 500 pages', () => {
    expect(pdfLimitsFromEnv({})).toEqual({
      maxBytes: 25 * 1024 * 1024,
      maxPages: 500,
      budget: DEFAULT_WORK_BUDGET,
    });
  });

  it('reads PDF_MAX_BYTES and PDF_MAX_PAGES and ignores invalid values', () => {
    expect(pdfLimitsFromEnv({ PDF_MAX_BYTES: '1000', PDF_MAX_PAGES: '7' })).toMatchObject({
      maxBytes: 1000,
      maxPages: 7,
    });
    expect(pdfLimitsFromEnv({ PDF_MAX_BYTES: 'lots', PDF_MAX_PAGES: '-1' })).toMatchObject({
      maxBytes: 25 * 1024 * 1024,
      maxPages: 500,
    });
  });
});
