import type { Approval } from '../domain/schemas';
import type { AggregateResult, ApprovalDecision, WorkflowInput, WorkflowOutput } from './types';

/**
 * The rules of the approval step and the deadline (issue 16), written once as pure functions;
 * each stack's workflow calls these around its engine's own event, timer and status primitives.
 */

/** The event (Temporal signal, Durable Functions external event, Dapr raised event, ...) name. */
export const APPROVAL_EVENT = 'approval';
/** The custom status a waiting run publishes, which the orchestrators map to `awaiting_approval`. */
export const AWAITING_APPROVAL = 'awaiting_approval';
/** The error code of a run that ran past its deadline. */
export const DEADLINE_EXCEEDED = 'deadline_exceeded';

/** A run waits for a person only when aggregation recorded discrepancies and it has a timeout. */
export function needsApproval(input: WorkflowInput, result: AggregateResult): boolean {
  return result.discrepancyCount > 0 && (input.approvalTimeoutMs ?? 0) > 0;
}

/** What the workflow records: a person's decision, or the timer's when none came in time. */
export function approvalOf(decision: ApprovalDecision | undefined): Approval {
  return decision
    ? { approved: decision.approved === true, note: decision.note ?? null, decidedBy: 'approver' }
    : { approved: false, note: null, decidedBy: 'timeout' };
}

/** The reason a rejected run reports as its error. */
export function rejectionReason(approval: Approval): 'approval_timeout' | 'approval_rejected' {
  return approval.decidedBy === 'timeout' ? 'approval_timeout' : 'approval_rejected';
}

/** How a finished workflow's output reads in the contract: completed, or rejected and why. */
export function outcomeOf(output: WorkflowOutput): { status: 'completed' | 'rejected'; error?: string } {
  if (output.approval && !output.approval.approved) {
    return { status: 'rejected', error: rejectionReason(output.approval) };
  }
  return { status: 'completed' };
}

/** The message a run past its deadline fails with (it starts with the code the contract shows). */
export function deadlineMessage(deadlineMs: number): string {
  return `${DEADLINE_EXCEEDED}: the invoice was not done within ${deadlineMs} ms of its start`;
}
