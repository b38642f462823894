import { readFile } from 'node:fs/promises';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { SAMPLES } from '../samples/corpus';
import { splitPdf } from './split';

const load = (name: string) =>
  readFile(SAMPLES.find((s) => s.name === name)!.pdfPath).then((b) => new Uint8Array(b));

describe('splitPdf', () => {
  it('returns one single-page PDF per page', async () => {
    const pages = await splitPdf(await load('invoice-10p'));
    expect(pages).toHaveLength(10);
    for (const page of pages) {
      const doc = await PDFDocument.load(page);
      expect(doc.getPageCount()).toBe(1);
    }
  });

  it('keeps page order: page k of the split is page k of the source', async () => {
    const source = await PDFDocument.load(await load('invoice-3p'));
    const pages = await splitPdf(await load('invoice-3p'));
    for (const [index, page] of pages.entries()) {
      const doc = await PDFDocument.load(page);
      expect(doc.getPage(0).getSize()).toEqual(source.getPage(index).getSize());
    }
    // The pages differ in content, so no two split PDFs are identical.
    expect(new Set(pages.map((p) => Buffer.from(p).toString('base64'))).size).toBe(3);
  });

  it('produces identical bytes for the same input (no dates or random IDs)', async () => {
    const input = await load('invoice-3p');
    const first = await splitPdf(input);
    const second = await splitPdf(input);
    expect(second.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      first.map((p) => Buffer.from(p).toString('hex')),
    );
  });
});
