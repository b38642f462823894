import { formatMinor } from './money';
import type { Discrepancy, Invoice, LineItem, PageExtraction } from './schemas';

/**
 * Merges page extractions into one invoice. Deterministic: the input order does not matter,
 * pages are sorted by number; the header comes from the page that carries it (the first such
 * page), the totals from the last page that carries them. Numbers are never "fixed": every
 * inconsistency becomes a discrepancy.
 */
export function aggregateInvoice(extractions: readonly PageExtraction[]): Invoice {
  if (extractions.length === 0) throw new Error('aggregateInvoice needs at least one page');
  const pages = [...extractions].sort((a, b) => a.pageNumber - b.pageNumber);
  const header = pages.find((p) => p.header)?.header;
  const totals = pages.findLast((p) => p.totals)?.totals;
  const lineItems: LineItem[] = pages.flatMap((p) =>
    p.lineItems.map((item) => ({ ...item, page: p.pageNumber })),
  );
  return canonicalInvoice({
    invoiceNumber: header?.invoiceNumber ?? null,
    invoiceDate: header?.invoiceDate ?? null,
    dueDate: header?.dueDate ?? null,
    currency: header?.currency ?? null,
    vendor: header?.vendor ?? null,
    customer: header?.customer ?? null,
    lineItems,
    subtotal: totals?.subtotal ?? null,
    tax: totals?.tax ?? null,
    total: totals?.total ?? null,
    pageCount: pages.length,
    discrepancies: validateInvoice({ header, totals, lineItems }),
  });
}

export function validateInvoice(parts: {
  header: unknown;
  totals: { subtotal: number; tax: number; total: number } | undefined;
  lineItems: readonly LineItem[];
}): Discrepancy[] {
  const found: Discrepancy[] = [];
  if (!parts.header) found.push({ code: 'missing_header', message: 'no page carries the invoice header' });
  for (const item of parts.lineItems) {
    const expected = item.quantity * item.unitPrice;
    if (expected !== item.amount) {
      found.push({
        code: 'line_amount_mismatch',
        message: `line ${item.position}: ${item.quantity} × ${formatMinor(item.unitPrice)} ≠ ${formatMinor(item.amount)}`,
        expected,
        actual: item.amount,
      });
    }
  }
  if (!parts.totals) {
    found.push({ code: 'missing_totals', message: 'no page carries the invoice totals' });
    return found;
  }
  const { subtotal, tax, total } = parts.totals;
  const lineSum = parts.lineItems.reduce((sum, item) => sum + item.amount, 0);
  if (lineSum !== subtotal) {
    found.push({
      code: 'line_sum_mismatch',
      message: `line items sum to ${formatMinor(lineSum)} but the subtotal is ${formatMinor(subtotal)}`,
      expected: lineSum,
      actual: subtotal,
    });
  }
  if (subtotal + tax !== total) {
    found.push({
      code: 'total_mismatch',
      message: `subtotal + tax is ${formatMinor(subtotal + tax)} but the total is ${formatMinor(total)}`,
      expected: subtotal + tax,
      actual: total,
    });
  }
  return found;
}

/** Rebuilds the invoice with a fixed key order so that every stack serialises it byte-identically. */
export function canonicalInvoice(invoice: Invoice): Invoice {
  const party = (p: Invoice['vendor']) => (p ? { name: p.name, address: p.address } : null);
  return {
    invoiceNumber: invoice.invoiceNumber,
    invoiceDate: invoice.invoiceDate,
    dueDate: invoice.dueDate,
    currency: invoice.currency,
    vendor: party(invoice.vendor),
    customer: party(invoice.customer),
    lineItems: invoice.lineItems.map((i) => ({
      position: i.position,
      sku: i.sku,
      description: i.description,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
      amount: i.amount,
      page: i.page,
    })),
    subtotal: invoice.subtotal,
    tax: invoice.tax,
    total: invoice.total,
    pageCount: invoice.pageCount,
    discrepancies: invoice.discrepancies.map((d) => ({
      code: d.code,
      message: d.message,
      ...(d.expected === undefined ? {} : { expected: d.expected }),
      ...(d.actual === undefined ? {} : { actual: d.actual }),
    })),
    ...(invoice.approval === undefined
      ? {}
      : {
          approval: {
            approved: invoice.approval.approved,
            note: invoice.approval.note,
            decidedBy: invoice.approval.decidedBy,
          },
        }),
  };
}

/** The one serialisation used for golden files and byte-identical comparison. */
export function serializeInvoice(invoice: Invoice): string {
  return `${JSON.stringify(canonicalInvoice(invoice), null, 2)}\n`;
}
