import { describe, expect, it } from 'vitest';
import { PageExtraction } from '../domain/schemas';
import { readPageText } from './read-page';

const HEADER = [
  'INVOICE',
  'Invoice Number: INV-2026-00042',
  'Invoice Date: 2026-03-01',
  'Due Date: 2026-03-31',
  'Currency: EUR',
  'Vendor: Northwind Components GmbH',
  'Vendor Address: Hauptstrasse 12, 10115 Berlin, Germany',
  'Customer: Acme Industrial Supply Ltd',
  'Customer Address: Market Street 3, EC1A 1BB London, United Kingdom',
];

describe('readPageText', () => {
  it('reads the header, the line items and skips the column titles', () => {
    const text = [
      ...HEADER,
      'Page 1 of 2',
      'Pos | SKU | Description | Qty | Unit Price | Amount',
      '1 | SKU-4821 | Steel bracket, zinc | 3 | 12.50 | 37.50',
      '2 | SKU-1000 | Nylon washer kit, M8 | 10 | 0.05 | 0.50',
    ].join('\n');
    const page = readPageText(text, 1);
    expect(PageExtraction.parse(page)).toEqual(page);
    expect(page).toEqual({
      pageNumber: 1,
      header: {
        invoiceNumber: 'INV-2026-00042',
        invoiceDate: '2026-03-01',
        dueDate: '2026-03-31',
        currency: 'EUR',
        vendor: { name: 'Northwind Components GmbH', address: 'Hauptstrasse 12, 10115 Berlin, Germany' },
        customer: {
          name: 'Acme Industrial Supply Ltd',
          address: 'Market Street 3, EC1A 1BB London, United Kingdom',
        },
      },
      lineItems: [
        {
          position: 1,
          sku: 'SKU-4821',
          description: 'Steel bracket, zinc',
          quantity: 3,
          unitPrice: 1250,
          amount: 3750,
        },
        {
          position: 2,
          sku: 'SKU-1000',
          description: 'Nylon washer kit, M8',
          quantity: 10,
          unitPrice: 5,
          amount: 50,
        },
      ],
    });
  });

  it('reads the totals of the last page, and no header there', () => {
    const text = [
      'Page 2 of 2',
      '3 | SKU-1 | Rail, 2 m | 1 | 1234.50 | 1234.50',
      'Subtotal: 1234.50',
      'Tax: 234.56',
      'Total: 1469.06',
    ].join('\n');
    const page = readPageText(text, 2);
    expect(page.header).toBeUndefined();
    expect(page.totals).toEqual({ subtotal: 123450, tax: 23456, total: 146906 });
    expect(page.lineItems).toHaveLength(1);
  });

  it('takes the page number it is given', () => {
    expect(readPageText('', 7)).toEqual({ pageNumber: 7, lineItems: [] });
  });

  it('invents nothing: malformed items are dropped, incomplete header and totals are left out', () => {
    const text = [
      ...HEADER.filter((l) => !l.startsWith('Currency')),
      '1 | SKU-1 | Bolt | 3 | 12.5O | 37.50', // letter O in the price
      '2 | SKU-2 | Bolt | three | 1.00 | 3.00',
      '3 | SKU-3 | Bolt | 3 | 1.00', // a cell missing
      '4 | SKU-4 | Bolt | 3 | 1.00 | 3.00 | extra',
      '0 | SKU-5 | Bolt | 3 | 1.00 | 3.00', // positions start at 1
      '6 | SKU-6 | Bolt | 2 | 1.00 | 2.00',
      'Subtotal: 2.00',
      'Tax: n/a',
      'Total: 2.00',
      'Some footer: thank you for your business',
    ].join('\n');
    const page = readPageText(text, 1);
    expect(page.header).toBeUndefined();
    expect(page.totals).toBeUndefined();
    expect(page.lineItems).toEqual([
      { position: 6, sku: 'SKU-6', description: 'Bolt', quantity: 2, unitPrice: 100, amount: 200 },
    ]);
  });

  it('keeps a printed amount as printed, even if it does not multiply out', () => {
    const page = readPageText('1 | SKU-1 | Bolt | 3 | 1.00 | 4.00', 1);
    expect(page.lineItems[0]).toMatchObject({ quantity: 3, unitPrice: 100, amount: 400 });
  });

  it('rejects a header with a malformed date or currency', () => {
    const bad = HEADER.map((l) => (l.startsWith('Invoice Date') ? 'Invoice Date: 1 March 2026' : l)).join(
      '\n',
    );
    expect(readPageText(bad, 1).header).toBeUndefined();
    const badCurrency = HEADER.map((l) => (l.startsWith('Currency') ? 'Currency: Euro' : l)).join('\n');
    expect(readPageText(badCurrency, 1).header).toBeUndefined();
  });
});
