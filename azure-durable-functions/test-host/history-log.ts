import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent, RetryOptionsJson } from './sdk';

/**
 * Append-only JSON lines, one file per instance: the test host's stand-in for the Azure Storage
 * provider's History table and the instance's messages in the control and work-item queues.
 *
 * - `event` lines are committed history. One orchestrator episode is written with a single
 *   append (OrchestratorStarted ... OrchestratorCompleted), like the provider's batch write; a
 *   torn trailing episode is dropped on load, so its messages get processed again.
 * - `message` lines are control-queue messages for the instance (ExecutionStarted, TaskCompleted,
 *   TaskFailed, TimerFired); a timer message is invisible until its FireAt (`visibleAt`), as the
 *   provider enqueues it with an initial visibility delay.
 * - `workitem` lines are work-item-queue messages: one activity run each (TaskScheduled's name
 *   and input). Written before the episode's history, as the provider enqueues before it commits.
 * - `dequeued` lines record that a worker took a message: it stays invisible to every other
 *   worker until `invisibleUntil` (the queue's visibility timeout), unless deleted first.
 * - `deleted` lines remove messages: the episode's inbound messages after its history commit, a
 *   work item after its response message is enqueued.
 *
 * `retry` carries the host-side retry state of a callActivityWithRetry task. The real extension
 * keeps it in its own replay of the action list; here it rides along on the event line and is
 * stripped before the history goes to the SDK.
 */
export type RetryState = { options: RetryOptionsJson; attempt: number; name: string; input?: string };
/**
 * `customStatus` rides on an episode's OrchestratorCompleted line: the custom status the
 * orchestrator set in that episode, which the provider writes to the Instances table (not to
 * history) with the same checkpoint; it is stripped before the history goes to the SDK.
 */
export type EventLine = { kind: 'event'; event: HistoryEvent; retry?: RetryState; customStatus?: unknown };
export type MessageLine = { kind: 'message'; mid: string; event: HistoryEvent; visibleAt?: string };
export type WorkItemLine = {
  kind: 'workitem';
  mid: string;
  taskId: number;
  name: string;
  input?: string;
  at: string;
};
export type LogLine =
  | EventLine
  | MessageLine
  | WorkItemLine
  | { kind: 'dequeued'; mid: string; at: string; invisibleUntil: string }
  | { kind: 'deleted'; mids: string[] };

export class HistoryLog {
  constructor(readonly dir: string) {}

  path(instanceId: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(instanceId)) throw new Error(`unsafe instance id ${instanceId}`);
    return join(this.dir, `${instanceId}.jsonl`);
  }

  async append(instanceId: string, lines: LogLine[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.path(instanceId), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  }

  /**
   * Dispatch counts live beside the history, one line per run of a work item (its message id),
   * written before the activity runs: after a crash they say how many hosts it has taken down.
   */
  async recordDispatch(instanceId: string, mid: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(`${this.path(instanceId).slice(0, -'.jsonl'.length)}.dispatches`, `${mid}\n`);
  }

  async dispatchCounts(instanceId: string): Promise<Map<string, number>> {
    const file = `${this.path(instanceId).slice(0, -'.jsonl'.length)}.dispatches`;
    const text = await readFile(file, 'utf8').catch(() => '');
    const counts = new Map<string, number>();
    for (const mid of text.split('\n')) if (mid !== '') counts.set(mid, (counts.get(mid) ?? 0) + 1);
    return counts;
  }

  async instanceIds(): Promise<string[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length));
  }

  /** Every complete line; a line cut short by a kill is ignored. */
  async read(instanceId: string): Promise<LogLine[]> {
    const text = await readFile(this.path(instanceId), 'utf8');
    const lines: LogLine[] = [];
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        lines.push(JSON.parse(raw) as LogLine);
      } catch {
        // torn write at the end of the file
      }
    }
    return lines;
  }
}

export type Pending<T> = { line: T; visibleAt: string };

/**
 * Splits log lines into committed history (whole episodes only) and the messages still in the
 * queues, each with the time it becomes visible again to a new worker: its enqueue time (a timer:
 * its FireAt), or later if a worker had dequeued it (the visibility timeout runs from there).
 */
export function recoverInstance(
  lines: LogLine[],
  orchestratorCompleted: number,
  orchestratorStarted: number,
) {
  const committed: EventLine[] = [];
  let episode: EventLine[] = [];
  const messages: MessageLine[] = [];
  const workitems: WorkItemLine[] = [];
  const invisibleUntil = new Map<string, string>();
  const deleted = new Set<string>();
  for (const line of lines) {
    if (line.kind === 'message') messages.push(line);
    else if (line.kind === 'workitem') workitems.push(line);
    else if (line.kind === 'dequeued') invisibleUntil.set(line.mid, line.invisibleUntil);
    else if (line.kind === 'deleted') for (const mid of line.mids) deleted.add(mid);
    else {
      if (line.event.EventType === orchestratorStarted) episode = [];
      episode.push(line);
      if (line.event.EventType === orchestratorCompleted) {
        committed.push(...episode);
        episode = [];
      }
    }
  }
  const later = (a: string, b: string | undefined) => (b && Date.parse(b) > Date.parse(a) ? b : a);
  const pending = <T extends MessageLine | WorkItemLine>(list: T[], enqueuedAt: (l: T) => string) =>
    list
      .filter((l) => !deleted.has(l.mid))
      .map(
        (line): Pending<T> => ({ line, visibleAt: later(enqueuedAt(line), invisibleUntil.get(line.mid)) }),
      );
  return {
    committed,
    messages: pending(messages, (m) => m.visibleAt ?? new Date(m.event.Timestamp).toISOString()),
    workitems: pending(workitems, (w) => w.at),
  };
}
