import { describe, expect, it } from 'vitest';
import { aggregateInvoice, serializeInvoice } from './aggregate';
import { formatMinor, parseMinor } from './money';
import type { PageExtraction } from './schemas';

const header = {
  invoiceNumber: 'INV-1',
  invoiceDate: '2026-01-01',
  dueDate: '2026-01-31',
  currency: 'EUR',
  vendor: { name: 'V', address: 'v st' },
  customer: { name: 'C', address: 'c st' },
};
const line = (position: number, quantity: number, unitPrice: number, amount = quantity * unitPrice) => ({
  position,
  sku: `SKU-${position}`,
  description: `item ${position}`,
  quantity,
  unitPrice,
  amount,
});
const pages: PageExtraction[] = [
  { pageNumber: 1, header, lineItems: [line(1, 2, 1050), line(2, 1, 99)] },
  { pageNumber: 2, lineItems: [line(3, 3, 333)] },
  { pageNumber: 3, lineItems: [line(4, 1, 1)], totals: { subtotal: 3199, tax: 608, total: 3807 } },
];

describe('aggregateInvoice', () => {
  it('takes the header from page 1, totals from the last page and keeps lines in page order', () => {
    const invoice = aggregateInvoice(pages);
    expect(invoice.invoiceNumber).toBe('INV-1');
    expect(invoice.lineItems.map((l) => [l.position, l.page])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 3],
    ]);
    expect(invoice).toMatchObject({ subtotal: 3199, tax: 608, total: 3807, pageCount: 3, discrepancies: [] });
  });

  it('is deterministic whatever order the pages arrive in', () => {
    const shuffled = [pages[2]!, pages[0]!, pages[1]!];
    expect(serializeInvoice(aggregateInvoice(shuffled))).toBe(serializeInvoice(aggregateInvoice(pages)));
  });

  it('records mismatches as discrepancies and never fixes the numbers', () => {
    const wrong = structuredClone(pages);
    wrong[2]!.totals = { subtotal: 3300, tax: 608, total: 4000 };
    wrong[1]!.lineItems[0]!.amount = 1000;
    const invoice = aggregateInvoice(wrong);
    expect(invoice.subtotal).toBe(3300);
    expect(invoice.total).toBe(4000);
    expect(invoice.discrepancies.map((d) => d.code)).toEqual([
      'line_amount_mismatch',
      'line_sum_mismatch',
      'total_mismatch',
    ]);
    expect(invoice.discrepancies[2]).toMatchObject({ expected: 3908, actual: 4000 });
  });

  it('flags a missing header or missing totals', () => {
    const invoice = aggregateInvoice([{ pageNumber: 1, lineItems: [line(1, 1, 5)] }]);
    expect(invoice.discrepancies.map((d) => d.code)).toEqual(['missing_header', 'missing_totals']);
    expect(invoice.total).toBeNull();
  });
});

describe('money', () => {
  it('parses and formats minor units exactly', () => {
    expect(parseMinor('1,234.5')).toBe(123450);
    expect(parseMinor('0.07')).toBe(7);
    expect(parseMinor('-3.10')).toBe(-310);
    expect(parseMinor('12.345')).toBeUndefined();
    expect(parseMinor('abc')).toBeUndefined();
    expect(formatMinor(123450)).toBe('1234.50');
    expect(formatMinor(-7)).toBe('-0.07');
    // 0.1 + 0.2 style drift cannot happen: sums are integer.
    expect(parseMinor('0.10')! + parseMinor('0.20')!).toBe(parseMinor('0.30'));
  });
});
