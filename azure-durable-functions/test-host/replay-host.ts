import { InvocationContext } from '../src/azure-functions';
import type { RegisteredFunction } from './functions-core';
import { HistoryLog, type LogLine, type RetryState, recoverInstance } from './history-log';
import {
  ActionType,
  EventType,
  events,
  flattenActions,
  type HistoryEvent,
  type OrchestratorState,
  type RetryOptionsJson,
  runOrchestratorEpisode,
  type SdkAction,
} from './sdk';

/**
 * The engine half of the replay test host (see main.ts for what it stands in for). Per instance
 * it keeps the history, runs the orchestrator through the SDK's executor on every new batch of
 * messages (one "episode"), turns the returned actions into TaskScheduled events, runs the
 * activities concurrently (bounded like maxConcurrentActivityFunctions), and retries
 * callActivityWithRetry tasks with durable timers the way the Durable Task framework's retry
 * interceptor does, so the SDK's RetryableTask sees the event sequence it expects.
 */
export type InstanceStatus = 'pending' | 'running' | 'completed' | 'failed' | 'terminated';
const isDone = (status: InstanceStatus) =>
  status === 'completed' || status === 'failed' || status === 'terminated';
export type InstanceView = {
  instanceId: string;
  name: string;
  status: InstanceStatus;
  input: unknown;
  output?: unknown;
  error?: string;
  createdTime: string;
  lastUpdatedTime: string;
};

type EventLine = Extract<LogLine, { kind: 'event' }>;
type Instance = {
  id: string;
  name: string;
  input: unknown;
  history: EventLine[];
  inbox: HistoryEvent[];
  status: InstanceStatus;
  output?: unknown;
  error?: string;
  createdTime: string;
  lastUpdatedTime: string;
  nextId: number;
  busy: boolean;
  dirty: boolean;
  waiters: Set<() => void>;
};

export type ReplayHostOptions = {
  functions: ReadonlyMap<string, RegisteredFunction>;
  historyDir: string;
  /** host.json extensions.durableTask.maxConcurrentActivityFunctions */
  maxConcurrentActivities: number;
  log?: (line: string) => void;
};

export class NonDeterminismError extends Error {}

/** Compares what the orchestrator asks for now with what history says it asked for before. */
export function checkActions(scheduled: EventLine[], actions: SdkAction[]): SdkAction[] {
  for (const [i, line] of scheduled.entries()) {
    const action = actions[i];
    const expected = `${line.event.Name}(${line.event.Input ?? ''})`;
    if (!action) {
      throw new NonDeterminismError(
        `Non-deterministic workflow detected: history has ${scheduled.length} scheduled tasks but the orchestrator now produces ${actions.length}; missing ${expected}`,
      );
    }
    const got = `${action.functionName}(${serializeInput(action.input) ?? ''})`;
    const kindMatches =
      (line.retry !== undefined) === (action.actionType === ActionType.CallActivityWithRetry);
    if (got !== expected || !kindMatches) {
      throw new NonDeterminismError(
        `Non-deterministic workflow detected: task ${line.event.EventId} was scheduled as ${expected} but the orchestrator now asks for ${got}`,
      );
    }
  }
  return actions.slice(scheduled.length);
}

export const serializeInput = (input: unknown): string | undefined =>
  input === undefined ? undefined : typeof input === 'string' ? input : JSON.stringify(input);

/** The orchestrator's own scheduling decisions in history (not the host's retry re-schedules). */
export function scheduledByOrchestrator(history: LogLine[]): EventLine[] {
  return history.filter(
    (l): l is EventLine =>
      l.kind === 'event' && l.event.EventType === EventType.TaskScheduled && (l.retry?.attempt ?? 1) === 1,
  );
}

/** Delay before the next attempt after `attempt` failed, as the Durable Task retry interceptor computes it. */
export function retryDelayMs(options: RetryOptionsJson, attempt: number): number {
  const delay = options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (attempt - 1);
  return Math.min(delay, options.maxRetryIntervalInMilliseconds ?? Number.POSITIVE_INFINITY);
}

class Semaphore {
  private waiting: Array<() => void> = [];
  private used = 0;
  constructor(private readonly size: number) {}
  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}

export class ReplayHost {
  private readonly instances = new Map<string, Instance>();
  private readonly store: HistoryLog;
  private readonly activitySlots: Semaphore;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Activities re-dispatched after a restart because no result had been recorded. */
  redispatchedAfterRestart = 0;

  constructor(private readonly options: ReplayHostOptions) {
    this.store = new HistoryLog(options.historyDir);
    this.activitySlots = new Semaphore(options.maxConcurrentActivities);
  }

  private fn(name: string, trigger: string): RegisteredFunction {
    const f = this.options.functions.get(name);
    if (!f || f.triggerType !== trigger)
      throw new Error(`no ${trigger} function named ${name} is registered`);
    return f;
  }

  historyPath(instanceId: string): string {
    return this.store.path(instanceId);
  }

  async start(name: string, instanceId: string, input: unknown): Promise<void> {
    this.fn(name, 'orchestrationTrigger');
    // Mirrors the extension with overridableExistingInstanceStates = NonRunningStates (host.json):
    // a Pending/Running instance makes the start an OrchestrationAlreadyExistsException, which the
    // HTTP API answers 409 (HttpApiHandler.HandleStartOrchestratorRequestAsync). Re-creating a
    // finished instance, which the extension would do, is not implemented here: refused as well.
    const existing = this.instances.get(instanceId);
    if (existing)
      throw new Error(`an orchestration with id '${instanceId}' already exists (${existing.status})`);
    const instance = this.newInstance(instanceId, name, input);
    const started = events.executionStarted(new Date(), name, input);
    instance.createdTime = instance.lastUpdatedTime = String(started.Timestamp);
    await this.store.append(instanceId, [{ kind: 'message', event: started }]);
    instance.inbox.push(started);
    this.kick(instance);
  }

  /**
   * Terminate as the extension does it (DurableClient.TerminateAsync): an ExecutionTerminated
   * message to the instance, which ends it Terminated at its next episode without running the
   * orchestrator. Activities already dispatched still run; their results are discarded.
   */
  async terminate(instanceId: string, reason: string): Promise<'accepted' | 'gone' | undefined> {
    const instance = this.instances.get(instanceId);
    if (!instance) return undefined;
    if (isDone(instance.status)) return 'gone';
    await this.deliver(instance, events.executionTerminated(new Date(), reason));
    return 'accepted';
  }

  view(instanceId: string): InstanceView | undefined {
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    const { name, status, input, output, error, createdTime, lastUpdatedTime } = i;
    return { instanceId, name, status, input, output, error, createdTime, lastUpdatedTime };
  }

  /** Resolves once the instance is completed or failed, or after timeoutMs with its state then. */
  async waitFor(instanceId: string, timeoutMs: number): Promise<InstanceView | undefined> {
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    if (!isDone(i.status)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          i.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        i.waiters.add(done);
      });
    }
    return this.view(instanceId);
  }

  /**
   * Reloads every instance from its history file, as the real host does from storage after a
   * restart: committed episodes are kept, unconsumed messages are re-queued, tasks scheduled but
   * without a recorded result are dispatched again (at-least-once), pending timers are re-armed.
   */
  async resume(): Promise<number> {
    let resumed = 0;
    for (const id of await this.store.instanceIds()) {
      const lines = await this.store.read(id);
      const { committed, messages } = recoverInstance(
        lines,
        EventType.OrchestratorCompleted,
        EventType.OrchestratorStarted,
      );
      const startedMsg = messages.find((m) => m.EventType === EventType.ExecutionStarted);
      const startedEvent =
        committed.find((l) => l.event.EventType === EventType.ExecutionStarted)?.event ?? startedMsg;
      if (!startedEvent?.Name) continue;
      const instance = this.newInstance(id, startedEvent.Name, JSON.parse(startedEvent.Input ?? 'null'));
      instance.history = committed;
      instance.createdTime = String(startedEvent.Timestamp);
      instance.lastUpdatedTime = String(committed.at(-1)?.event.Timestamp ?? startedEvent.Timestamp);
      const done = committed.find((l) => l.event.EventType === EventType.ExecutionCompleted)?.event;
      if (done) {
        this.finish(instance, done);
        continue;
      }
      resumed++;
      instance.status = committed.length > 0 ? 'running' : 'pending';
      instance.nextId = 1 + Math.max(-1, ...committed.map((l) => l.event.EventId));
      const consumed = new Set(committed.map((l) => messageKey(l.event)));
      instance.inbox = dedupeMessages(messages.filter((m) => !consumed.has(messageKey(m))));
      const arrived = new Set(instance.inbox.map(messageKey));
      for (const line of committed) {
        const e = line.event;
        if (
          e.EventType === EventType.TaskScheduled &&
          !consumed.has(`task:${e.EventId}`) &&
          !arrived.has(`task:${e.EventId}`)
        ) {
          this.redispatchedAfterRestart++;
          this.dispatchActivity(instance, e.EventId, e.Name!, e.Input);
        }
        if (
          e.EventType === EventType.TimerCreated &&
          !consumed.has(`timer:${e.EventId}`) &&
          !arrived.has(`timer:${e.EventId}`)
        ) {
          this.armTimer(instance, e.EventId, new Date(e.FireAt!));
        }
      }
      if (instance.inbox.length > 0) this.kick(instance);
    }
    return resumed;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }

  private newInstance(id: string, name: string, input: unknown): Instance {
    const instance: Instance = {
      id,
      name,
      input,
      history: [],
      inbox: [],
      status: 'pending',
      createdTime: new Date().toISOString(),
      lastUpdatedTime: new Date().toISOString(),
      nextId: 0,
      busy: false,
      dirty: false,
      waiters: new Set(),
    };
    this.instances.set(id, instance);
    return instance;
  }

  private finish(instance: Instance, completed: HistoryEvent): void {
    if (completed.OrchestrationStatus === 'Completed') {
      instance.status = 'completed';
      instance.output = JSON.parse(completed.Result ?? 'null');
    } else if (completed.OrchestrationStatus === 'Terminated') {
      instance.status = 'terminated';
      instance.output = completed.Result;
    } else {
      instance.status = 'failed';
      instance.error = completed.Result;
    }
    for (const w of [...instance.waiters]) w();
  }

  /** Episodes of one instance never overlap; messages arriving meanwhile go into the next one. */
  private kick(instance: Instance): void {
    instance.dirty = true;
    if (instance.busy || this.stopped) return;
    instance.busy = true;
    void (async () => {
      try {
        while (instance.dirty && !this.stopped) {
          instance.dirty = false;
          if (instance.inbox.length > 0 && !isDone(instance.status)) {
            await this.episode(instance);
          }
        }
      } catch (error) {
        this.options.log?.(`episode of ${instance.id} crashed: ${(error as Error).stack}`);
      } finally {
        instance.busy = false;
      }
    })();
  }

  private async episode(instance: Instance): Promise<void> {
    const now = new Date();
    // A task answered twice (run again after a restart while its first answer was already in)
    // counts once: the first answer wins, as in the extension.
    const consumed = new Set(instance.history.map((l) => messageKey(l.event)));
    const messages = dedupeMessages(instance.inbox.splice(0)).filter((m) => !consumed.has(messageKey(m)));
    if (messages.length === 0) return;
    const terminated = messages.find((m) => m.EventType === EventType.ExecutionTerminated);
    if (terminated) {
      const end = events.executionCompleted(now, 'Terminated', terminated.Input ?? '');
      const lines: EventLine[] = [
        events.orchestratorStarted(now),
        terminated,
        end,
        events.orchestratorCompleted(now),
      ].map((event) => ({ kind: 'event', event }));
      await this.store.append(instance.id, lines);
      instance.history.push(...lines);
      instance.lastUpdatedTime = now.toISOString();
      this.finish(instance, end);
      return;
    }
    const added: EventLine[] = [{ kind: 'event', event: events.orchestratorStarted(now) }];
    const toDispatch: Array<{ id: number; name: string; input?: string }> = [];
    const toArm: Array<{ id: number; fireAt: Date }> = [];
    const retryOf = (taskId: number) =>
      [...instance.history, ...added].find(
        (l) => l.event.EventType === EventType.TaskScheduled && l.event.EventId === taskId,
      )?.retry;
    const timerRetry = (timerId: number) =>
      [...instance.history, ...added].find(
        (l) => l.event.EventType === EventType.TimerCreated && l.event.EventId === timerId,
      )?.retry;

    // Messages first, each followed by the retry interceptor's reaction, in arrival order: the SDK
    // gives the retry timer and the re-scheduled attempt the next sequence numbers as it replays
    // these same events, so the ids line up only if they are allocated in the same order.
    for (const message of messages) {
      added.push({ kind: 'event', event: message });
      if (message.EventType === EventType.TaskFailed) {
        const retry = retryOf(message.TaskScheduledId!);
        if (retry) {
          const id = instance.nextId++;
          const fireAt = new Date(now.getTime() + retryDelayMs(retry.options, retry.attempt));
          added.push({ kind: 'event', event: events.timerCreated(now, id, fireAt), retry });
          toArm.push({ id, fireAt });
        }
      }
      if (message.EventType === EventType.TimerFired) {
        const retry = timerRetry(message.TimerId!);
        if (retry && retry.attempt < retry.options.maxNumberOfAttempts) {
          const id = instance.nextId++;
          const next = { ...retry, attempt: retry.attempt + 1 };
          added.push({
            kind: 'event',
            event: events.taskScheduled(now, id, retry.name, retry.input),
            retry: next,
          });
          toDispatch.push({ id, name: retry.name, input: retry.input });
        }
      }
    }

    const history = [...instance.history, ...added].map((l) => l.event);
    let state: OrchestratorState;
    let newActions: SdkAction[] = [];
    try {
      state = await runOrchestratorEpisode(this.fn(instance.name, 'orchestrationTrigger').handler, {
        instanceId: instance.id,
        functionName: instance.name,
        history: markPlayed(history),
        input: instance.input,
      });
      newActions = checkActions(
        scheduledByOrchestrator([...instance.history, ...added]),
        flattenActions(state.actions),
      );
    } catch (error) {
      if (!(error instanceof NonDeterminismError)) throw error;
      state = { isDone: false, actions: [], error: error.message, schemaVersion: 0 };
      newActions = [];
    }

    const failed = state.error !== undefined;
    if (!state.isDone && !failed) {
      for (const action of newActions) {
        if (
          action.actionType !== ActionType.CallActivity &&
          action.actionType !== ActionType.CallActivityWithRetry
        ) {
          throw new Error(`the test host does not implement action type ${action.actionType}`);
        }
        const id = instance.nextId++;
        const input = serializeInput(action.input);
        const retry: RetryState | undefined = action.retryOptions
          ? { options: action.retryOptions, attempt: 1, name: action.functionName!, input }
          : undefined;
        added.push({
          kind: 'event',
          event: events.taskScheduled(now, id, action.functionName!, input),
          ...(retry ? { retry } : {}),
        });
        toDispatch.push({ id, name: action.functionName!, input });
      }
    }
    let completed: HistoryEvent | undefined;
    if (state.isDone)
      completed = events.executionCompleted(now, 'Completed', JSON.stringify(state.output ?? null));
    else if (failed) completed = events.executionCompleted(now, 'Failed', state.error!);
    if (completed) added.push({ kind: 'event', event: completed });
    added.push({ kind: 'event', event: events.orchestratorCompleted(now) });

    // Commit the episode in one write before anything it decided is acted upon.
    await this.store.append(instance.id, added);
    instance.history.push(...added);
    instance.lastUpdatedTime = now.toISOString();
    if (instance.status === 'pending') instance.status = 'running';
    if (completed) {
      this.finish(instance, completed);
      return;
    }
    for (const t of toDispatch) this.dispatchActivity(instance, t.id, t.name, t.input);
    for (const t of toArm) this.armTimer(instance, t.id, t.fireAt);
  }

  private dispatchActivity(
    instance: Instance,
    taskId: number,
    name: string,
    input: string | undefined,
  ): void {
    void (async () => {
      await this.activitySlots.acquire();
      let message: HistoryEvent;
      try {
        if (this.stopped) return;
        const activity = this.fn(name, 'activityTrigger');
        const context = new InvocationContext({
          functionName: name,
          invocationId: `${instance.id}:${taskId}`,
        });
        const result = await activity.handler(input === undefined ? undefined : JSON.parse(input), context);
        message = events.taskCompleted(new Date(), taskId, JSON.stringify(result) ?? 'null');
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        message = events.taskFailed(
          new Date(),
          taskId,
          `Activity function '${name}' failed: ${e.message}`,
          e.stack ?? e.message,
        );
      } finally {
        this.activitySlots.release();
      }
      await this.deliver(instance, message);
    })();
  }

  private armTimer(instance: Instance, timerId: number, fireAt: Date): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.deliver(instance, events.timerFired(new Date(), timerId, fireAt));
      },
      Math.max(0, fireAt.getTime() - Date.now()),
    );
    this.timers.add(timer);
  }

  /** A message is durable (in the instance's queue) before the orchestrator is told about it. */
  private async deliver(instance: Instance, message: HistoryEvent): Promise<void> {
    if (this.stopped) return;
    await this.store.append(instance.id, [{ kind: 'message', event: message }]);
    instance.inbox.push(message);
    this.kick(instance);
  }
}

function messageKey(e: HistoryEvent): string {
  if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed)
    return `task:${e.TaskScheduledId}`;
  if (e.EventType === EventType.TimerFired) return `timer:${e.TimerId}`;
  if (e.EventType === EventType.ExecutionStarted) return 'start';
  return `other:${e.EventType}:${e.EventId}`;
}

/** A task re-run after a restart may answer twice; like the extension, the first answer wins. */
function dedupeMessages(messages: HistoryEvent[]): HistoryEvent[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    const key = messageKey(m);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Events before the last OrchestratorStarted are replays; the host marks them as played. */
function markPlayed(history: HistoryEvent[]): HistoryEvent[] {
  let last = -1;
  history.forEach((e, i) => {
    if (e.EventType === EventType.OrchestratorStarted) last = i;
  });
  return history.map((e, i) => ({ ...e, IsPlayed: i < last }));
}
