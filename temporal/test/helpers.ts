import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';

export type TemporalStack = {
  handle: StackHandle;
  apiUrl: string;
  llmUrl: string;
  blobs: BlobStore;
  client: Client;
  close(): Promise<void>;
};

/** The real Temporal stack via the launcher (server, 3 workers, API, mock LLM), once per file. */
export async function startTemporal(settings: Record<string, string> = {}): Promise<TemporalStack> {
  const handle = await upStack('temporal', { settings: { headless: 'true', ...settings } });
  try {
    const connection = await Connection.connect({ address: handle.env.TEMPORAL_ADDRESS! });
    return {
      handle,
      apiUrl: handle.apiUrl,
      llmUrl: handle.llmUrl,
      blobs: blobStoreFromEnv(handle.env),
      client: new Client({ connection }),
      async close() {
        await connection.close();
        await handle.down();
      },
    };
  } catch (error) {
    await handle.down();
    throw error;
  }
}

export {
  expectGolden,
  runToEnd,
  sample,
  submit,
  until,
  untilInFlight,
} from '@invoice/tools/testing/stack-client';

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
