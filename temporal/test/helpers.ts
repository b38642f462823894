import { Client, Connection, type WorkflowHandle } from '@temporalio/client';

/** The real Temporal stack via the launcher (server, 3 workers, API, mock LLM) and a client, once per file. */
export async function startTemporal(settings: Record<string, string> = {}) {
  const stack = await startStackWith('temporal', { headless: 'true', ...settings }, async (handle) => {
    const connection = await Connection.connect({ address: handle.env.TEMPORAL_ADDRESS! });
    return { workflows: new Client({ connection }), close: () => connection.close() };
  });
  return { ...stack, client: stack.client.workflows };
}
export type TemporalStack = Awaited<ReturnType<typeof startTemporal>>;

export {
  expectGolden,
  runToEnd,
  sample,
  submit,
  until,
  untilInFlight,
} from '@invoice/tools/testing/stack-client';

import { startStackWith } from '@invoice/tools/testing/stack-client';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** The attempt on which each activity of one type finally started, from the workflow's history. */
export async function finalAttempts(
  client: Client,
  workflowId: string,
  activityType: string,
): Promise<number[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, HistoryEvent>();
  for (const e of events) if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e);
  return events
    .filter((e) => e.activityTaskStartedEventAttributes)
    .filter((e) => {
      const s = scheduled.get(String(e.activityTaskStartedEventAttributes!.scheduledEventId));
      return s?.activityTaskScheduledEventAttributes?.activityType?.name === activityType;
    })
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
}
