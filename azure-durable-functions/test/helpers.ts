import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AcceptedBody, StatusBody } from '@invoice/shared/contract/types';
import type { Sample } from '@invoice/shared/samples/corpus';
import type { StackHandle } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { type EventLine, HistoryLog, type LogLine, type MessageLine } from '../test-host/history-log';
import { type HostJson, hostSettings } from '../test-host/host-settings';
import { EventType } from '../test-host/sdk';

/** Helpers shared by this stack's test files (they read the test host's history files). */
export async function postSample(stack: StackHandle, sample: Sample, wait: boolean) {
  const response = await fetch(`${stack.apiUrl}/api/invoices${wait ? '?wait=true' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: await readFile(sample.pdfPath),
  });
  return { status: response.status, body: (await response.json()) as StatusBody & AcceptedBody };
}

export async function pollUntilDone(stack: StackHandle, id: string): Promise<StatusBody> {
  for (;;) {
    const response = await fetch(`${stack.apiUrl}/api/invoices/${id}`);
    const body = (await response.json()) as StatusBody;
    if (body.status === 'completed' || body.status === 'failed') return body;
    await sleep(100);
  }
}

export const historyLog = (stack: StackHandle) => new HistoryLog(join(stack.runDir, 'durable-history'));

export async function readHistory(stack: StackHandle, id: string): Promise<LogLine[]> {
  return historyLog(stack).read(id);
}

export const committed = (lines: LogLine[]) => lines.filter((l): l is EventLine => l.kind === 'event');
/** Lines that carry a history event: committed events and control-queue messages. */
const withEvent = (lines: LogLine[]) =>
  lines.filter((l): l is EventLine | MessageLine => l.kind === 'event' || l.kind === 'message');
export const countEvents = (lines: LogLine[], type: number, name?: string) =>
  committed(lines).filter((l) => l.event.EventType === type && (name === undefined || l.event.Name === name))
    .length;

/**
 * The retry interceptor's timers (callActivityWithRetry), not the orchestrator's own deadline and
 * approval timers: the host keeps the retry state on them.
 */
export const retryTimers = (lines: LogLine[]) =>
  committed(lines).filter((l) => l.event.EventType === EventType.TimerCreated && l.retry !== undefined);

/** Resolves once the mock LLM has no call in flight (a hung call of an earlier test ended). */
export async function untilNoLlmCallInFlight(llmUrl: string, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await mockLlm.metrics(llmUrl)).inFlight > 0) {
    if (Date.now() > until) throw new Error(`LLM calls still in flight after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Page text keys of the extract tasks whose result was durable (message or history) in these lines. */
export function pagesWithDurableResult(lines: LogLine[]): Set<string> {
  const scheduled = new Map<number, string>();
  for (const l of withEvent(lines)) {
    if (l.event.EventType === EventType.TaskScheduled && l.event.Name === 'extractPage') {
      scheduled.set(
        l.event.EventId,
        (JSON.parse(l.event.Input!) as { page: { textKey: string } }).page.textKey,
      );
    }
  }
  const done = new Set<string>();
  for (const l of withEvent(lines)) {
    if (l.event.EventType === EventType.TaskCompleted) {
      const key = scheduled.get(l.event.TaskScheduledId!);
      if (key) done.add(key);
    }
  }
  return done;
}

export type HostJsonOverrides = Partial<
  Record<
    | 'functionTimeout'
    | 'controlQueueVisibilityTimeout'
    | 'workItemQueueVisibilityTimeout'
    | 'leaseInterval'
    | 'leaseRenewInterval'
    | 'leaseAcquireInterval',
    string
  >
>;

/**
 * A copy of the app's host.json with some timeouts shortened, for tests that say so: the
 * extension's own keys where host.json has them, the test host's `testHost` section for the
 * partition-lease timings (which the extension never reads from host.json).
 */
export async function writeHostJson(o: HostJsonOverrides) {
  const app = JSON.parse(await readFile(new URL('../host.json', import.meta.url), 'utf8')) as HostJson;
  const durable = app.extensions?.durableTask ?? {};
  const json: HostJson = {
    ...app,
    ...(o.functionTimeout ? { functionTimeout: o.functionTimeout } : {}),
    extensions: {
      ...app.extensions,
      durableTask: {
        ...durable,
        storageProvider: {
          ...durable.storageProvider,
          ...(o.controlQueueVisibilityTimeout
            ? { controlQueueVisibilityTimeout: o.controlQueueVisibilityTimeout }
            : {}),
          ...(o.workItemQueueVisibilityTimeout
            ? { workItemQueueVisibilityTimeout: o.workItemQueueVisibilityTimeout }
            : {}),
        },
      },
    },
    testHost: {
      ...(o.leaseInterval ? { leaseInterval: o.leaseInterval } : {}),
      ...(o.leaseRenewInterval ? { leaseRenewInterval: o.leaseRenewInterval } : {}),
      ...(o.leaseAcquireInterval ? { leaseAcquireInterval: o.leaseAcquireInterval } : {}),
    },
  };
  const dir = await mkdtemp(join(tmpdir(), 'df-host-json-'));
  const path = join(dir, 'host.json');
  await writeFile(path, JSON.stringify(json, null, 2));
  return { path, settings: hostSettings(json, 1) };
}
