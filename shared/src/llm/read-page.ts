import { parseMinor } from '../domain/money';
import type { InvoiceHeader, InvoiceTotals, PageExtraction } from '../domain/schemas';

/**
 * What the mock "model" does: reads one page's text layer and extracts the fields it can see.
 * It only reads the text (never an answer key) and invents nothing: a line it cannot parse is
 * skipped, and a header or totals block that is incomplete or malformed is left out, so the
 * aggregation records it as missing instead of carrying made-up numbers.
 */
export function readPageText(text: string, pageNumber: number): PageExtraction {
  const fields = new Map<string, string>();
  const lineItems: PageExtraction['lineItems'] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.includes('|')) {
      const item = parseLineItem(line);
      if (item) lineItems.push(item);
      continue;
    }
    const match = /^([A-Za-z][A-Za-z ]*?)\s*:\s*(.+)$/.exec(line);
    // The first occurrence wins; a label seen twice is most likely a repeated running header.
    if (match && !fields.has(match[1]!.toLowerCase())) fields.set(match[1]!.toLowerCase(), match[2]!.trim());
  }
  const extraction: PageExtraction = { pageNumber, lineItems };
  const header = readHeader(fields);
  if (header) extraction.header = header;
  const totals = readTotals(fields);
  if (totals) extraction.totals = totals;
  return extraction;
}

const INT = /^-?\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseLineItem(line: string): PageExtraction['lineItems'][number] | undefined {
  const cells = line.split('|').map((c) => c.trim());
  if (cells.length !== 6) return undefined;
  const [position, sku, description, quantity, unitPrice, amount] = cells as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d+$/.test(position) || Number(position) < 1 || !INT.test(quantity)) return undefined;
  const unit = parseMinor(unitPrice);
  const total = parseMinor(amount);
  if (unit === undefined || total === undefined || sku === '' || description === '') return undefined;
  return {
    position: Number(position),
    sku,
    description,
    quantity: Number(quantity),
    unitPrice: unit,
    amount: total,
  };
}

function readHeader(fields: Map<string, string>): InvoiceHeader | undefined {
  const get = (label: string) => fields.get(label);
  const invoiceNumber = get('invoice number');
  const invoiceDate = get('invoice date');
  const dueDate = get('due date');
  const currency = get('currency');
  const vendorName = get('vendor');
  const vendorAddress = get('vendor address');
  const customerName = get('customer');
  const customerAddress = get('customer address');
  if (
    !invoiceNumber ||
    !invoiceDate ||
    !DATE.test(invoiceDate) ||
    !dueDate ||
    !DATE.test(dueDate) ||
    !currency ||
    !/^[A-Z]{3}$/.test(currency) ||
    !vendorName ||
    !vendorAddress ||
    !customerName ||
    !customerAddress
  ) {
    return undefined;
  }
  return {
    invoiceNumber,
    invoiceDate,
    dueDate,
    currency,
    vendor: { name: vendorName, address: vendorAddress },
    customer: { name: customerName, address: customerAddress },
  };
}

function readTotals(fields: Map<string, string>): InvoiceTotals | undefined {
  const amount = (label: string) => {
    const text = fields.get(label);
    return text === undefined ? undefined : parseMinor(text);
  };
  const subtotal = amount('subtotal');
  const tax = amount('tax');
  const total = amount('total');
  if (subtotal === undefined || tax === undefined || total === undefined) return undefined;
  return { subtotal, tax, total };
}
