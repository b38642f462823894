/**
 * What one run leaves in Temporal: history event count and size (as the server reports them),
 * the largest single payload, and the engine's own per-activity latencies read from event
 * timestamps. Used by bench.ts for the SPEC's payload/history-limit table.
 */

import { blobKeys } from '@invoice/shared/blob/keys';
import type { BlobStore } from '@invoice/shared/blob/store';
import type { WorkflowInput, WorkflowOutput } from '@invoice/shared/flow/types';
import { generateInvoicePdf } from '@invoice/shared/samples/generate';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TASK_QUEUES, WORKFLOW_TYPE } from '../src/task-queues';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
type Payloads = {
  payloads?: Array<{ data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }> | null;
};

const ms = (t: HistoryEvent['eventTime']) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
const bytesOf = (p: Payloads | null | undefined) =>
  (p?.payloads ?? []).reduce((sum, x) => sum + (x.data?.length ?? 0), 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};

/**
 * Starts the workflow straight through the Temporal client (the source PDF is put in the blob
 * store first), so invoices up to the 500-page limit are measured exactly as the API would run them.
 */
export async function measureHistory(client: Client, blobs: BlobStore, pages: number) {
  const { pdf } = await generateInvoicePdf({ seed: 9000 + pages, pages });
  const invoiceId = crypto.randomUUID();
  const input: WorkflowInput = { invoiceId, pdfKey: blobKeys.sourcePdf(invoiceId), acceptedAt: Date.now() };
  await blobs.put(input.pdfKey, pdf, 'application/pdf');
  const handle = await client.workflow.start<(i: WorkflowInput) => Promise<WorkflowOutput>>(WORKFLOW_TYPE, {
    workflowId: invoiceId,
    taskQueue: TASK_QUEUES.workflow,
    args: [input],
  });
  const output = await handle.result();
  if (output.pageCount !== pages)
    throw new Error(`expected ${pages} pages, the run reported ${output.pageCount}`);
  const description = await handle.describe();
  const events = (await handle.fetchHistory()).events ?? [];

  const types = new Map<string, string>();
  const scheduledAt = new Map<string, number>();
  const scheduleToStart: Record<string, number[]> = {};
  let largestPayload = { bytes: 0, event: '' };
  const note = (bytes: number, event: string) => {
    if (bytes > largestPayload.bytes) largestPayload = { bytes, event };
  };
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      types.set(String(e.eventId), s.activityType?.name ?? '?');
      scheduledAt.set(String(e.eventId), ms(e.eventTime));
      note(bytesOf(s.input), `${s.activityType?.name} input`);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const id = String(started.scheduledEventId);
      const type = types.get(id)!;
      scheduleToStart[type] = [...(scheduleToStart[type] ?? []), ms(e.eventTime) - scheduledAt.get(id)!];
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) note(bytesOf(done.result), `${types.get(String(done.scheduledEventId))} result`);
    if (e.workflowExecutionStartedEventAttributes)
      note(bytesOf(e.workflowExecutionStartedEventAttributes.input), 'workflow input');
  }
  return {
    pages,
    historyEvents: description.historyLength,
    historyBytes: description.historySize,
    largestPayload,
    /** ms from ActivityTaskScheduled to ActivityTaskStarted (matching + dispatch), median per activity type */
    scheduleToStartMedianMs: Object.fromEntries(
      Object.entries(scheduleToStart).map(([k, v]) => [k, median(v)]),
    ),
    /** first extract scheduled to last extract started: how fast the fan-out is handed out */
    fanOutDispatchMs: (() => {
      const extracts = events.filter(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          types.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) === 'extract',
      );
      const firstScheduled = Math.min(
        ...[...scheduledAt].filter(([id]) => types.get(id) === 'extract').map(([, t]) => t),
      );
      return Math.max(...extracts.map((e) => ms(e.eventTime))) - firstScheduled;
    })(),
    workflowMs: ms(events.at(-1)?.eventTime) - ms(events[0]?.eventTime),
  };
}
