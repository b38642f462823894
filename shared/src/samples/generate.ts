import { PDFDocument, type PDFFont, rgb, StandardFonts } from 'pdf-lib';
import { aggregateInvoice } from '../domain/aggregate';
import { formatMinor } from '../domain/money';
import type { Invoice, InvoiceHeader, InvoiceTotals, PageExtraction } from '../domain/schemas';
import { fixPdfMetadata } from '../pdf/split';
import { createRandom } from './prng';

export type InvoiceSpec = {
  seed: number;
  pages: number;
  /** print a total that is off by a few cents, so the flow must report `total_mismatch` */
  totalMismatch?: boolean;
};

// ASCII only: Helvetica's WinAnsi encoding round-trips it exactly through the text layer.
const COMPANIES = [
  'Northwind Components GmbH',
  'Acme Industrial Supply Ltd',
  'Blue Harbor Logistics BV',
  'Granite Peak Tools Inc',
  'Lindqvist & Berg AB',
  'Meridian Office Systems SARL',
  'Orchard Lane Foods Ltd',
  'Polaris Fasteners GmbH',
  'Riverbend Electrical Co',
  'Summit Packaging SpA',
];
const STREETS = [
  'Hauptstrasse',
  'Market Street',
  'Kanalweg',
  'Rue de la Paix',
  'Harbour Road',
  'Industrieweg',
];
const CITIES = [
  '10115 Berlin, Germany',
  'EC1A 1BB London, United Kingdom',
  '1012 AB Amsterdam, Netherlands',
  '75001 Paris, France',
  '111 22 Stockholm, Sweden',
  '20121 Milano, Italy',
];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK'];
const TAX_PERCENT = [0, 7, 10, 19, 20, 25];
const ADJECTIVES = [
  'Steel',
  'Aluminium',
  'Brass',
  'Heavy-duty',
  'Compact',
  'Galvanised',
  'Stainless',
  'Nylon',
];
const NOUNS = [
  'bracket',
  'hinge',
  'bolt set',
  'cable tray',
  'mounting plate',
  'pipe clamp',
  'washer kit',
  'rail',
];
const FINISHES = ['zinc', 'powder coated', 'M8', 'M10', '2 m', 'black', 'pack of 50', 'grade A4'];

const PAGE_WIDTH = 595.28; // A4 in points
const PAGE_HEIGHT = 841.89;
const MARGIN = 56;
const FONT_SIZE = 10;
const LINE_HEIGHT = 15;

/** Page 1 carries the header, the last page the totals; line items spread over all pages. */
export async function generateInvoicePdf(spec: InvoiceSpec): Promise<{ pdf: Uint8Array; expected: Invoice }> {
  if (!Number.isInteger(spec.pages) || spec.pages < 1)
    throw new Error(`pages must be a positive integer, got ${spec.pages}`);
  const random = createRandom(spec.seed);

  const month = random.int(1, 12);
  const day = random.int(1, 28);
  const invoiceDate = `2026-${pad(month)}-${pad(day)}`;
  const due = new Date(Date.UTC(2026, month - 1, day + 30));
  const party = () => ({
    name: random.pick(COMPANIES),
    address: `${random.pick(STREETS)} ${random.int(1, 199)}, ${random.pick(CITIES)}`,
  });
  const vendor = party();
  let customer = party();
  while (customer.name === vendor.name) customer = party();
  const header: InvoiceHeader = {
    invoiceNumber: `INV-2026-${String(random.int(1, 99_999)).padStart(5, '0')}`,
    invoiceDate,
    dueDate: due.toISOString().slice(0, 10),
    currency: random.pick(CURRENCIES),
    vendor,
    customer,
  };

  let position = 0;
  const pages: PageExtraction[] = [];
  for (let pageNumber = 1; pageNumber <= spec.pages; pageNumber++) {
    const count = random.int(1, 6);
    const lineItems: PageExtraction['lineItems'] = [];
    for (let i = 0; i < count; i++) {
      const quantity = random.int(1, 24);
      const unitPrice = random.int(50, 250_00);
      lineItems.push({
        position: ++position,
        sku: `SKU-${random.int(1000, 9999)}`,
        description: `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}, ${random.pick(FINISHES)}`,
        quantity,
        unitPrice,
        amount: quantity * unitPrice,
      });
    }
    pages.push({ pageNumber, lineItems });
  }

  const subtotal = pages.flatMap((p) => p.lineItems).reduce((sum, item) => sum + item.amount, 0);
  const taxPercent = random.pick(TAX_PERCENT);
  const tax = Math.round((subtotal * taxPercent) / 100);
  // Always draw the offset so a mismatching invoice differs from its clean twin only in the total.
  const offset = random.int(1, 99) * (random.next() < 0.5 ? -1 : 1);
  const totals: InvoiceTotals = { subtotal, tax, total: subtotal + tax + (spec.totalMismatch ? offset : 0) };
  pages[0]!.header = header;
  pages.at(-1)!.totals = totals;

  const pdf = await drawInvoice(pages, spec.pages);
  // The answer key comes from the same aggregation the flow uses, so discrepancies match exactly.
  return { pdf, expected: aggregateInvoice(pages) };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The text format that readPageText (shared/src/llm/read-page.ts) parses. One drawText per line. */
export function pageLines(page: PageExtraction, pageCount: number): string[] {
  const lines: string[] = [];
  const h = page.header;
  if (h) {
    lines.push(
      'INVOICE',
      `Invoice Number: ${h.invoiceNumber}`,
      `Invoice Date: ${h.invoiceDate}`,
      `Due Date: ${h.dueDate}`,
      `Currency: ${h.currency}`,
      `Vendor: ${h.vendor.name}`,
      `Vendor Address: ${h.vendor.address}`,
      `Customer: ${h.customer.name}`,
      `Customer Address: ${h.customer.address}`,
      '',
    );
  }
  lines.push(
    `Page ${page.pageNumber} of ${pageCount}`,
    '',
    'Pos | SKU | Description | Qty | Unit Price | Amount',
  );
  for (const item of page.lineItems) {
    lines.push(
      [
        item.position,
        item.sku,
        item.description,
        item.quantity,
        formatMinor(item.unitPrice),
        formatMinor(item.amount),
      ].join(' | '),
    );
  }
  const t = page.totals;
  if (t)
    lines.push(
      '',
      `Subtotal: ${formatMinor(t.subtotal)}`,
      `Tax: ${formatMinor(t.tax)}`,
      `Total: ${formatMinor(t.total)}`,
    );
  return lines;
}

async function drawInvoice(pages: readonly PageExtraction[], pageCount: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font: PDFFont = await doc.embedFont(StandardFonts.Helvetica);
  for (const extraction of pages) {
    const page = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    let y = PAGE_HEIGHT - MARGIN;
    for (const line of pageLines(extraction, pageCount)) {
      if (line !== '') page.drawText(line, { x: MARGIN, y, size: FONT_SIZE, font, color: rgb(0, 0, 0) });
      y -= LINE_HEIGHT;
    }
  }
  const header = pages[0]?.header;
  fixPdfMetadata(doc, header ? `Invoice ${header.invoiceNumber}` : 'Invoice');
  return doc.save();
}
