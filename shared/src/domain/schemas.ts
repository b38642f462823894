import { z } from 'zod';

const minor = z.number().int();

export const Party = z.object({ name: z.string(), address: z.string() });

export const LineItem = z.object({
  position: z.number().int().positive(),
  sku: z.string(),
  description: z.string(),
  quantity: z.number().int(),
  unitPrice: minor,
  amount: minor,
  page: z.number().int().positive(),
});

/** Fields that only the first page carries. */
export const InvoiceHeader = z.object({
  invoiceNumber: z.string(),
  invoiceDate: z.string(),
  dueDate: z.string(),
  currency: z.string().length(3),
  vendor: Party,
  customer: Party,
});

/** Fields that only the last page carries. */
export const InvoiceTotals = z.object({ subtotal: minor, tax: minor, total: minor });

/** What the (mock) LLM returns for one page. */
export const PageExtraction = z.object({
  pageNumber: z.number().int().positive(),
  header: InvoiceHeader.optional(),
  lineItems: z.array(LineItem.omit({ page: true })),
  totals: InvoiceTotals.optional(),
});

export const Discrepancy = z.object({
  code: z.enum([
    'line_sum_mismatch',
    'total_mismatch',
    'missing_header',
    'missing_totals',
    'line_amount_mismatch',
  ]),
  message: z.string(),
  expected: minor.optional(),
  actual: minor.optional(),
});

/**
 * The decision recorded on an invoice that waited for approval: by a person (POST .../approval)
 * or by the durable timer when nobody answered in time (decidedBy 'timeout', never approved).
 */
export const Approval = z.object({
  approved: z.boolean(),
  note: z.string().nullable(),
  decidedBy: z.enum(['approver', 'timeout']),
});

export const Invoice = z.object({
  invoiceNumber: z.string().nullable(),
  invoiceDate: z.string().nullable(),
  dueDate: z.string().nullable(),
  currency: z.string().nullable(),
  vendor: Party.nullable(),
  customer: Party.nullable(),
  lineItems: z.array(LineItem),
  subtotal: minor.nullable(),
  tax: minor.nullable(),
  total: minor.nullable(),
  pageCount: z.number().int().positive(),
  discrepancies: z.array(Discrepancy),
  /** the human decision on an invoice with discrepancies (issue 16); absent when none was needed */
  approval: Approval.optional(),
});

/**
 * Where one run of the flow stands (GET /api/invoices/:id). `cancelled` ends a cancelled run;
 * `awaiting_approval` is a run holding for a person's decision; `rejected` ends one that was
 * refused or whose approval timed out.
 */
export const InvoiceStatus = z.enum([
  'pending',
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'cancelled',
  'rejected',
]);

export type Party = z.infer<typeof Party>;
export type LineItem = z.infer<typeof LineItem>;
export type InvoiceHeader = z.infer<typeof InvoiceHeader>;
export type InvoiceTotals = z.infer<typeof InvoiceTotals>;
export type PageExtraction = z.infer<typeof PageExtraction>;
export type Discrepancy = z.infer<typeof Discrepancy>;
export type Invoice = z.infer<typeof Invoice>;
export type Approval = z.infer<typeof Approval>;
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;
