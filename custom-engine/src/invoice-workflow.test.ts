import { needsApproval } from '@invoice/shared/flow/approval';
import type { AggregateResult, WorkflowInput } from '@invoice/shared/flow/types';
import { describe, expect, it } from 'vitest';
import { validateDefinition } from './engine/definition';
import { evaluate } from './engine/expression';
import { INVOICE_ACTIONS, invoiceWorkflow, NEEDS_APPROVAL } from './invoice-workflow';

/** The invoice definition's JSONata says what the shared rules say (they are written once, in shared/). */
describe('invoice workflow definition', () => {
  it('is a valid definition', () => {
    expect(() => validateDefinition(invoiceWorkflow, INVOICE_ACTIONS)).not.toThrow();
  });

  it('its approval `when` agrees with needsApproval on every combination', async () => {
    const input: WorkflowInput = { invoiceId: 'i', pdfKey: 'k', acceptedAt: 0 };
    for (const discrepancyCount of [0, 1, 7])
      for (const approvalTimeoutMs of [undefined, 0, 1, 86_400_000]) {
        const aggregate: AggregateResult = { invoiceKey: 'k', pageCount: 1, discrepancyCount };
        const run = { ...input, ...(approvalTimeoutMs === undefined ? {} : { approvalTimeoutMs }) };
        const engine = Boolean(await evaluate(NEEDS_APPROVAL, { ...run, aggregate }));
        expect(engine, JSON.stringify({ discrepancyCount, approvalTimeoutMs })).toBe(
          needsApproval(run, aggregate),
        );
      }
  });

  it('its output is the decision when one was recorded, else the aggregate', async () => {
    const aggregate = { invoiceKey: 'k', pageCount: 1, discrepancyCount: 0 };
    const decided = { ...aggregate, approval: { approved: true, note: null, decidedBy: 'approver' } };
    expect(await evaluate(invoiceWorkflow.output, { aggregate })).toEqual(aggregate);
    expect(await evaluate(invoiceWorkflow.output, { aggregate, recordDecision: decided })).toEqual(decided);
  });
});
