import { readFile } from 'node:fs/promises';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { serializeInvoice } from '../domain/aggregate';
import { Invoice } from '../domain/schemas';
import { HOSTILE_INPUTS, SAMPLES } from './corpus';
import { generateInvoicePdf } from './generate';
import { mulberry32 } from './prng';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('mulberry32', () => {
  it('repeats for a seed and differs across seeds', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const drawsA = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(drawsA);
    expect([c(), c(), c()]).not.toEqual(drawsA);
    for (const x of drawsA) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('generateInvoicePdf', () => {
  it('produces identical bytes and answer key for the same seed', async () => {
    const first = await generateInvoicePdf({ seed: 42, pages: 4 });
    const second = await generateInvoicePdf({ seed: 42, pages: 4 });
    expect(hex(second.pdf)).toBe(hex(first.pdf));
    expect(serializeInvoice(second.expected)).toBe(serializeInvoice(first.expected));
  });

  it('produces a different invoice for a different seed', async () => {
    const a = await generateInvoicePdf({ seed: 1, pages: 2 });
    const b = await generateInvoicePdf({ seed: 2, pages: 2 });
    expect(hex(b.pdf)).not.toBe(hex(a.pdf));
  });

  it('has the asked page count, and every page carries at least one line item', async () => {
    const { pdf, expected } = await generateInvoicePdf({ seed: 9, pages: 7 });
    expect((await PDFDocument.load(pdf)).getPageCount()).toBe(7);
    expect(expected.pageCount).toBe(7);
    for (let page = 1; page <= 7; page++) expect(expected.lineItems.some((i) => i.page === page)).toBe(true);
    expect(expected.lineItems.map((i) => i.position)).toEqual(
      expected.lineItems.map((_, index) => index + 1),
    );
  });

  it('builds a consistent invoice: no discrepancies, exact integer money', async () => {
    const { expected } = await generateInvoicePdf({ seed: 5, pages: 3 });
    expect(Invoice.parse(expected)).toEqual(expected);
    expect(expected.discrepancies).toEqual([]);
    const lineSum = expected.lineItems.reduce((sum, i) => sum + i.amount, 0);
    expect(expected.subtotal).toBe(lineSum);
    expect(expected.total).toBe(expected.subtotal! + expected.tax!);
  });

  it('with totalMismatch prints a total off by some cents and expects exactly one total_mismatch', async () => {
    const clean = await generateInvoicePdf({ seed: 5, pages: 3 });
    const { expected } = await generateInvoicePdf({ seed: 5, pages: 3, totalMismatch: true });
    expect(expected.lineItems).toEqual(clean.expected.lineItems);
    expect(expected.subtotal).toBe(clean.expected.subtotal);
    const off = expected.total! - clean.expected.total!;
    expect(off).not.toBe(0);
    expect(Math.abs(off)).toBeLessThan(100);
    expect(expected.discrepancies).toEqual([
      expect.objectContaining({
        code: 'total_mismatch',
        expected: clean.expected.total,
        actual: expected.total,
      }),
    ]);
  });

  it('matches the committed samples and golden files (run `pnpm samples` after changing the generator)', async () => {
    for (const sample of SAMPLES) {
      const { pdf, expected } = await generateInvoicePdf(sample.spec);
      expect(hex(new Uint8Array(await readFile(sample.pdfPath))), sample.name).toBe(hex(pdf));
      expect(await readFile(sample.goldenPath, 'utf8'), sample.name).toBe(serializeInvoice(expected));
    }
  });

  it('matches the committed hostile inputs in data/hostile/', async () => {
    for (const input of HOSTILE_INPUTS.filter((i) => i.path)) {
      expect(hex(await input.load()), input.name).toBe(hex(await input.make()));
    }
  });
});
