/**
 * One workflow's history as the server holds it, for the kit's cost counter
 * (tools/src/kit/cost/counters.ts loads this file by path, so the Temporal client stays a
 * dependency of this package only). The Actions are counted from these events by
 * tools/src/kit/cost/counts.ts `temporalActions`.
 */
import type { TemporalEvent } from '@invoice/tools/kit/cost/counts';
import { Client, Connection } from '@temporalio/client';

export async function workflowHistory(
  address: string,
  workflowId: string,
): Promise<{ events: TemporalEvent[]; historyBytes: number }> {
  const connection = await Connection.connect({ address });
  try {
    const handle = new Client({ connection }).workflow.getHandle(workflowId);
    const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
    return { events: history.events ?? [], historyBytes: description.historySize ?? 0 };
  } finally {
    await connection.close();
  }
}
