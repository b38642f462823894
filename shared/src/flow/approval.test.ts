import { describe, expect, it } from 'vitest';
import { approvalOf, deadlineMessage, needsApproval, outcomeOf } from './approval';

const input = { invoiceId: 'i', pdfKey: 'k', acceptedAt: 0, approvalTimeoutMs: 1000 };
const result = { invoiceKey: 'k', pageCount: 3, discrepancyCount: 1 };

describe('approval rules', () => {
  it('waits only for an invoice with discrepancies, on a run that has a timeout', () => {
    expect(needsApproval(input, result)).toBe(true);
    expect(needsApproval(input, { ...result, discrepancyCount: 0 })).toBe(false);
    expect(needsApproval({ ...input, approvalTimeoutMs: undefined }, result)).toBe(false);
  });

  it("records a person's decision, and the timer's as a rejection", () => {
    expect(approvalOf({ approved: true, note: 'ok' })).toEqual({
      approved: true,
      note: 'ok',
      decidedBy: 'approver',
    });
    expect(approvalOf(undefined)).toEqual({ approved: false, note: null, decidedBy: 'timeout' });
  });

  it('reads an output as completed or rejected with its reason', () => {
    expect(outcomeOf(result)).toEqual({ status: 'completed' });
    expect(outcomeOf({ ...result, approval: approvalOf({ approved: true, note: null }) })).toEqual({
      status: 'completed',
    });
    expect(outcomeOf({ ...result, approval: approvalOf({ approved: false, note: null }) })).toEqual({
      status: 'rejected',
      error: 'approval_rejected',
    });
    expect(outcomeOf({ ...result, approval: approvalOf(undefined) })).toEqual({
      status: 'rejected',
      error: 'approval_timeout',
    });
    expect(deadlineMessage(5000)).toMatch(/^deadline_exceeded: /);
  });
});
