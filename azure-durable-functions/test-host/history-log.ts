import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent, RetryOptionsJson } from './sdk';

/**
 * Append-only JSON lines, one file per instance: the test host's stand-in for the Azure Storage
 * provider's History table and control/work-item queues.
 *
 * - `{"kind":"event",...}` lines are committed history. One orchestrator episode is written with
 *   a single append (OrchestratorStarted ... OrchestratorCompleted), like the provider's batch
 *   write; a torn trailing episode is dropped on load, so its messages get processed again.
 * - `{"kind":"message",...}` lines are messages that arrived for the instance (ExecutionStarted,
 *   TaskCompleted, TaskFailed, TimerFired) but that no episode has consumed yet: the queue.
 *
 * `retry` carries the host-side retry state of a callActivityWithRetry task. The real extension
 * keeps it in its own replay of the action list; here it rides along on the event line and is
 * stripped before the history goes to the SDK.
 */
export type RetryState = { options: RetryOptionsJson; attempt: number; name: string; input?: string };
export type LogLine =
  | { kind: 'event'; event: HistoryEvent; retry?: RetryState }
  | { kind: 'message'; event: HistoryEvent };

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
   * Dispatch counts live beside the history, one line per dispatch of a task, written before the
   * activity runs: after a crash they say how many workers a task has already taken down.
   */
  async recordDispatch(instanceId: string, taskId: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(`${this.path(instanceId).slice(0, -'.jsonl'.length)}.dispatches`, `${taskId}\n`);
  }

  async dispatchCounts(instanceId: string): Promise<Map<number, number>> {
    const file = `${this.path(instanceId).slice(0, -'.jsonl'.length)}.dispatches`;
    const text = await readFile(file, 'utf8').catch(() => '');
    const counts = new Map<number, number>();
    for (const line of text.split('\n')) {
      const id = Number(line);
      if (line !== '' && Number.isInteger(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
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

/** Splits log lines into committed history (whole episodes only) and pending messages. */
export function recoverInstance(
  lines: LogLine[],
  orchestratorCompleted: number,
  orchestratorStarted: number,
) {
  const committed: Array<Extract<LogLine, { kind: 'event' }>> = [];
  let episode: Array<Extract<LogLine, { kind: 'event' }>> = [];
  const messages: HistoryEvent[] = [];
  for (const line of lines) {
    if (line.kind === 'message') {
      messages.push(line.event);
      continue;
    }
    if (line.event.EventType === orchestratorStarted) episode = [];
    episode.push(line);
    if (line.event.EventType === orchestratorCompleted) {
      committed.push(...episode);
      episode = [];
    }
  }
  return { committed, messages };
}
