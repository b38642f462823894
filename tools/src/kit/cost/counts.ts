/**
 * What one finished invoice costs in each engine's billing units, counted from what the engine
 * itself recorded. Pure functions over the records; the I/O that fetches them is in counters.ts.
 *
 * - Temporal Cloud bills Actions. From its "Temporal Cloud Actions" page
 *   (https://docs.temporal.io/cloud/actions): a Workflow started is one; an Activity "started or
 *   retried" is one per attempt; a Timer started, a Signal, a Search Attribute upsert, an Update,
 *   a recorded Side Effect are one each; a Child Workflow is two; all Local Activities (markers)
 *   of one Workflow Task are one; Heartbeats that reach the server are one each but are not in
 *   the history; Actions during replay are not billed.
 * - Durable Functions on the Consumption plan bills executions and GB-seconds
 *   (https://learn.microsoft.com/en-us/azure/azure-functions/durable/durable-functions-billing):
 *   each orchestrator replay is an execution, and so is each activity run. A replay is one
 *   orchestrator *episode*: the dispatcher hands the orchestrator every message that has arrived
 *   for the instance in one work item (the Azure Storage provider pulls control-queue messages in
 *   batches, `controlQueueBatchSize`, default 32), so many activity completions share one replay.
 *   The test host does the same: it commits one episode per batch of messages (history-log.ts).
 * - Dapr and the custom engine bill nothing themselves: what you pay for is the state store's
 *   operations, counted as row writes (insert, update, delete) during the invoice.
 */

/** The fields of a Temporal history event this count reads (as @temporalio/client returns them). */
export type TemporalEvent = {
  eventType?: unknown;
  workflowExecutionStartedEventAttributes?: unknown;
  activityTaskStartedEventAttributes?: { attempt?: number | null } | null;
  timerStartedEventAttributes?: unknown;
  workflowExecutionSignaledEventAttributes?: unknown;
  upsertWorkflowSearchAttributesEventAttributes?: unknown;
  workflowExecutionUpdateAcceptedEventAttributes?: unknown;
  workflowExecutionUpdateRejectedEventAttributes?: unknown;
  startChildWorkflowExecutionInitiatedEventAttributes?: unknown;
  markerRecordedEventAttributes?: { workflowTaskCompletedEventId?: unknown } | null;
  workflowExecutionOptionsUpdatedEventAttributes?: unknown;
};

export type TemporalActions = { total: number; byKind: Record<string, number> };

/** Billable Actions visible in one workflow's history (heartbeats and queries are not in it). */
export function temporalActions(events: TemporalEvent[]): TemporalActions {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1) => {
    byKind[kind] = (byKind[kind] ?? 0) + n;
  };
  const markerTasks = new Set<string>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) add('workflow started');
    // ActivityTaskStarted is written once, for the last attempt, and carries its attempt number:
    // server-side retries leave no other trace in history, and each attempt is one Action.
    if (e.activityTaskStartedEventAttributes)
      add('activity attempts', Math.max(1, Number(e.activityTaskStartedEventAttributes.attempt ?? 1)));
    if (e.timerStartedEventAttributes) add('timer started');
    if (e.workflowExecutionSignaledEventAttributes) add('signal');
    if (e.upsertWorkflowSearchAttributesEventAttributes) add('search attribute upsert');
    if (e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateRejectedEventAttributes)
      add('update');
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) add('child workflow', 2);
    if (e.workflowExecutionOptionsUpdatedEventAttributes) add('execution options updated');
    if (e.markerRecordedEventAttributes)
      markerTasks.add(
        String(e.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? markerTasks.size),
      );
  }
  if (markerTasks.size) add('local activities / markers (one per workflow task)', markerTasks.size);
  return { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind };
}

/** Event types of the durable-functions SDK (lib/src/history/HistoryEventType.js). */
export const DF_EVENT = {
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  OrchestratorStarted: 12,
} as const;

export type DurableFunctionsCounts = {
  /** orchestrator executions: one per episode (replay), however many messages it consumed */
  orchestratorReplays: number;
  /** activity executions: one per attempt, ended by TaskCompleted or TaskFailed */
  activityExecutions: number;
  /** durable timers (retry back-offs here); they cost no execution themselves */
  timers: number;
  /** history rows the Azure Storage provider would write to its History table */
  historyEvents: number;
};

/** Counts from one instance's history log lines (the test host's JSON lines). */
export function durableFunctionsCounts(lines: Array<{ kind: string; event?: { EventType?: number } }>) {
  const events = lines.filter((l) => l.kind === 'event' && l.event).map((l) => l.event!.EventType);
  const count = (t: number) => events.filter((e) => e === t).length;
  return {
    orchestratorReplays: count(DF_EVENT.OrchestratorStarted),
    activityExecutions: count(DF_EVENT.TaskCompleted) + count(DF_EVENT.TaskFailed),
    timers: count(DF_EVENT.TimerCreated),
    historyEvents: events.length,
  } satisfies DurableFunctionsCounts;
}

/** Row writes per table and operation, before and after; the difference is one invoice's. */
export type WriteTally = Record<string, number>;
export function writesBetween(before: WriteTally, after: WriteTally): { total: number; byTable: WriteTally } {
  const byTable: WriteTally = {};
  for (const [key, n] of Object.entries(after)) {
    const d = n - (before[key] ?? 0);
    if (d) byTable[key] = d;
  }
  return { total: Object.values(byTable).reduce((a, b) => a + b, 0), byTable };
}
