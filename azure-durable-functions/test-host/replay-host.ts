import { randomUUID } from 'node:crypto';
import { InvocationContext } from '../src/azure-functions';
import type { RegisteredFunction } from './functions-core';
import {
  type EventLine,
  HistoryLog,
  type LogLine,
  type MessageLine,
  type RetryState,
  recoverInstance,
  type WorkItemLine,
} from './history-log';
import { formatTimeSpan, type HostSettings, hostSettings, partitionOf } from './host-settings';
import { PartitionLeases } from './leases';
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
  /** the orchestrator's last non-null custom status (the Instances table's CustomStatus column) */
  customStatus?: unknown;
  createdTime: string;
  lastUpdatedTime: string;
};

type InboxMessage = { mid: string; event: HistoryEvent };
type Instance = {
  id: string;
  name: string;
  input: unknown;
  partition: number;
  history: EventLine[];
  inbox: InboxMessage[];
  status: InstanceStatus;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  nextId: number;
  busy: boolean;
  dirty: boolean;
  waiters: Set<() => void>;
};

/** What the test host takes from host.json (host-settings.ts); defaults are the real ones. */
export type ProviderSettings = Pick<
  HostSettings,
  | 'partitionCount'
  | 'controlQueueVisibilityTimeoutMs'
  | 'workItemQueueVisibilityTimeoutMs'
  | 'leaseIntervalMs'
  | 'leaseRenewIntervalMs'
  | 'leaseAcquireIntervalMs'
  | 'functionTimeoutMs'
>;

export type ReplayHostOptions = {
  functions: ReadonlyMap<string, RegisteredFunction>;
  historyDir: string;
  /** host.json extensions.durableTask.maxConcurrentActivityFunctions */
  maxConcurrentActivities: number;
  /** queue visibility timeouts, partition leases, functionTimeout (default: the real defaults) */
  provider?: Partial<ProviderSettings>;
  /** dispatches of one work item that may each end in a host crash before resume() fails it (3) */
  maxDispatches?: number;
  log?: (line: string) => void;
};

/** DurableTask.Core's NonDeterministicOrchestrationException: the instance fails with it. */
export class NonDeterminismError extends Error {}

type Scheduled = 'activity' | 'timer';
const scheduledKind = (a: SdkAction): Scheduled | string =>
  a.actionType === ActionType.CallActivity || a.actionType === ActionType.CallActivityWithRetry
    ? 'activity'
    : a.actionType === ActionType.CreateTimer
      ? 'timer'
      : `action type ${a.actionType}`;

/**
 * DurableTask.Core's replay check (TaskOrchestrationContext.HandleTaskScheduledEvent and
 * HandleTimerCreatedEvent, DurableTask.Core 2.17.1 as the extension ships it): every TaskScheduled
 * / TimerCreated in history is matched to the action the orchestrator produces now at the same
 * sequence number. It fails when there is no action at that number, when the action is of another
 * type, or when an activity's name differs (ordinal, ignoring case). It compares nothing else:
 * not inputs, not the order of same-named calls, not retry options. Actions beyond the history
 * are the orchestrator's new work. Sequence numbers come from the actions in the order the
 * out-of-proc shim schedules them, which is the flattened order the JS SDK returns; the retry
 * interceptor's own timers and re-schedules are not the orchestrator's actions.
 */
export function checkActions(scheduled: EventLine[], actions: SdkAction[]): SdkAction[] {
  for (const [i, line] of scheduled.entries()) {
    const e = line.event;
    const kind: Scheduled = e.EventType === EventType.TaskScheduled ? 'activity' : 'timer';
    const what =
      kind === 'activity'
        ? `an activity task with sequence number ${e.EventId} named '${e.Name}'`
        : `a timer task with sequence number ${e.EventId}`;
    const action = actions[i];
    if (!action) {
      throw new NonDeterminismError(
        `A previous execution of this orchestration scheduled ${what}, but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    const got = scheduledKind(action);
    if (got !== kind) {
      throw new NonDeterminismError(
        `A previous execution of this orchestration scheduled ${what}, but the current orchestration replay instead produced a ${got} action with this sequence number. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    if (kind === 'activity' && e.Name!.toLowerCase() !== action.functionName!.toLowerCase()) {
      throw new NonDeterminismError(
        `A previous execution of this orchestration scheduled ${what}, but the current orchestration replay instead scheduled an activity task named '${action.functionName}' with this sequence number. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
  }
  return actions.slice(scheduled.length);
}

export const serializeInput = (input: unknown): string | undefined =>
  input === undefined ? undefined : typeof input === 'string' ? input : JSON.stringify(input);

/**
 * The orchestrator's own scheduling decisions in history, by sequence number: its TaskScheduled
 * and TimerCreated events, not the retry interceptor's timers and re-scheduled attempts.
 */
export function scheduledByOrchestrator(history: LogLine[]): EventLine[] {
  return history
    .filter(
      (l): l is EventLine =>
        l.kind === 'event' &&
        ((l.event.EventType === EventType.TaskScheduled && (l.retry?.attempt ?? 1) === 1) ||
          (l.event.EventType === EventType.TimerCreated && l.retry === undefined)),
    )
    .sort((a, b) => a.event.EventId - b.event.EventId);
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

const DEFAULT_PROVIDER: ProviderSettings = hostSettings({}, 1);
/** DurableTask.Core's TaskActivityDispatcher renews a work item's lock 30 s before it expires, checking every 5 s. */
const RENEW_BEFORE_MS = 30_000;
const RENEW_CHECK_MS = 5_000;

export class ReplayHost {
  private readonly instances = new Map<string, Instance>();
  private readonly store: HistoryLog;
  private readonly activitySlots: Semaphore;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly provider: ProviderSettings;
  readonly leases: PartitionLeases;
  private leasesStarted?: Promise<void>;
  private stopped = false;
  /** Activity runs dispatched again after a restart because their work item was never deleted. */
  redispatchedAfterRestart = 0;
  /** Dispatches of one work item without a result after which resume() fails it. */
  private readonly maxDispatches: number;

  constructor(private readonly options: ReplayHostOptions) {
    this.store = new HistoryLog(options.historyDir);
    this.activitySlots = new Semaphore(options.maxConcurrentActivities);
    this.provider = { ...DEFAULT_PROVIDER, ...options.provider };
    this.leases = new PartitionLeases(options.historyDir, this.provider.partitionCount, this.provider);
    this.maxDispatches = options.maxDispatches ?? 3;
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

  private startLeases(): Promise<void> {
    this.leasesStarted ??= this.leases.start();
    return this.leasesStarted;
  }

  /** The client's start: ExecutionStarted goes into the instance's control queue. */
  async start(name: string, instanceId: string, input: unknown): Promise<void> {
    this.fn(name, 'orchestrationTrigger');
    // Mirrors the extension with overridableExistingInstanceStates = NonRunningStates (host.json):
    // a Pending/Running instance makes the start an OrchestrationAlreadyExistsException, which the
    // HTTP API answers 409 (HttpApiHandler.HandleStartOrchestratorRequestAsync). Re-creating a
    // finished instance, which the extension would do, is not implemented here: refused as well.
    const existing = this.instances.get(instanceId);
    if (existing)
      throw new Error(`an orchestration with id '${instanceId}' already exists (${existing.status})`);
    await this.startLeases();
    const instance = this.newInstance(instanceId, name, input);
    const started = events.executionStarted(new Date(), name, input);
    instance.createdTime = instance.lastUpdatedTime = String(started.Timestamp);
    const line: MessageLine = { kind: 'message', mid: randomUUID(), event: started };
    await this.store.append(instanceId, [line]);
    this.receive(instance, line, new Date(), false);
  }

  /**
   * Terminate as the extension does it (DurableClient.TerminateAsync): an ExecutionTerminated
   * message to the instance, which ends it Terminated at its next episode without running the
   * orchestrator. Activities already dispatched still run; their results are discarded.
   */
  terminate(instanceId: string, reason: string): Promise<'accepted' | 'gone' | undefined> {
    return this.sendToRunning(instanceId, events.executionTerminated(new Date(), reason));
  }

  /** A client message into a running instance's control queue, stored before it is acknowledged. */
  private async sendToRunning(
    instanceId: string,
    event: HistoryEvent,
  ): Promise<'accepted' | 'gone' | undefined> {
    const instance = this.instances.get(instanceId);
    if (!instance) return undefined;
    if (isDone(instance.status)) return 'gone';
    const line: MessageLine = { kind: 'message', mid: randomUUID(), event };
    await this.store.append(instanceId, [line]);
    this.receive(instance, line, new Date(), false);
    return 'accepted';
  }

  view(instanceId: string): InstanceView | undefined {
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    const { name, status, input, output, error, customStatus, createdTime, lastUpdatedTime } = i;
    return { instanceId, name, status, input, output, error, customStatus, createdTime, lastUpdatedTime };
  }

  /**
   * Resolves once the instance is completed, failed or terminated, or `until` holds for it after
   * an episode (e.g. a custom status), or after timeoutMs with its state then.
   */
  async waitFor(
    instanceId: string,
    timeoutMs: number,
    until: (v: InstanceView) => boolean = () => false,
  ): Promise<InstanceView | undefined> {
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    const met = () => isDone(i.status) || until(this.view(instanceId)!);
    if (!met()) {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (!met()) return;
          clearTimeout(timer);
          i.waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          i.waiters.delete(check);
          resolve();
        }, timeoutMs);
        i.waiters.add(check);
      });
    }
    return this.view(instanceId);
  }

  /**
   * The client's raiseEvent (HttpApiHandler's raiseEvent webhook): an EventRaised message into the
   * instance's control queue, stored before it is answered, so it survives a restart. The
   * orchestrator sees it at its next episode, in history; the SDK keeps an event nobody waits
   * for yet and hands it to the first waitForExternalEvent of that name (buffered). 404 for an
   * unknown instance, 410 for a finished one, as the extension answers.
   */
  raiseEvent(
    instanceId: string,
    name: string,
    input: string | undefined,
  ): Promise<'accepted' | 'gone' | undefined> {
    return this.sendToRunning(instanceId, events.eventRaised(new Date(), name, input));
  }

  /**
   * Reloads every instance from storage, as a worker does after a restart: committed episodes are
   * kept; control-queue messages not deleted are processed once this worker holds the
   * partition's lease (a dead worker's lease runs out LeaseInterval after its last renewal) and
   * the message is visible again (a message the dead worker had dequeued stays invisible for
   * ControlQueueVisibilityTimeout); work items not deleted run again once visible
   * (WorkItemQueueVisibilityTimeout after the dead worker took them): at-least-once.
   */
  async resume(): Promise<number> {
    await this.startLeases();
    let resumed = 0;
    for (const id of await this.store.instanceIds()) {
      const lines = await this.store.read(id);
      const { committed, messages, workitems } = recoverInstance(
        lines,
        EventType.OrchestratorCompleted,
        EventType.OrchestratorStarted,
      );
      const startedMsg = messages.find((m) => m.line.event.EventType === EventType.ExecutionStarted)?.line
        .event;
      const startedEvent =
        committed.find((l) => l.event.EventType === EventType.ExecutionStarted)?.event ?? startedMsg;
      if (!startedEvent?.Name) continue;
      const instance = this.newInstance(id, startedEvent.Name, JSON.parse(startedEvent.Input ?? 'null'));
      instance.history = committed;
      instance.createdTime = String(startedEvent.Timestamp);
      instance.lastUpdatedTime = String(committed.at(-1)?.event.Timestamp ?? startedEvent.Timestamp);
      instance.customStatus = committed.findLast((l) => l.customStatus !== undefined)?.customStatus;
      const done = committed.find((l) => l.event.EventType === EventType.ExecutionCompleted)?.event;
      if (done) {
        this.finish(instance, done);
        continue;
      }
      resumed++;
      instance.status = committed.length > 0 ? 'running' : 'pending';
      instance.nextId = 1 + Math.max(-1, ...committed.map((l) => l.event.EventId));
      const consumed = new Set(committed.map((l) => messageKey(l.event)));
      for (const m of messages) {
        if (!consumed.has(messageKey(m.line.event)))
          this.receive(instance, m.line, new Date(m.visibleAt), true);
      }
      const dispatched = await this.store.dispatchCounts(id);
      for (const w of workitems) {
        const times = dispatched.get(w.line.mid) ?? 0;
        if (times >= this.maxDispatches) {
          // Every dispatch took the host down with it (a poison pill): fail the task instead of
          // running it again, so a restarted host does not crash-loop on it.
          void this.failWorkItem(
            instance,
            w.line,
            `worker_lost: activity '${w.line.name}' was dispatched ${times} times and the host died each time`,
          );
          continue;
        }
        this.redispatchedAfterRestart++;
        this.dispatchActivity(instance, w.line, new Date(w.visibleAt), true);
      }
    }
    return resumed;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.leases.stop();
  }

  /** Graceful shutdown: stop, then release the partition leases as the real host does on shutdown. */
  async shutdown(): Promise<void> {
    this.stop();
    await this.leases.release();
  }

  private newInstance(id: string, name: string, input: unknown): Instance {
    const instance: Instance = {
      id,
      name,
      input,
      partition: partitionOf(id, this.provider.partitionCount),
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

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  /**
   * A control-queue message reaches the orchestration dispatcher: only on the worker holding the
   * instance's partition lease, not before the message is visible. The worker dequeues it at
   * once (the provider prefetches control-queue batches), which hides it from every other worker
   * for ControlQueueVisibilityTimeout; it is deleted only after the episode that consumes it is
   * committed.
   */
  private receive(instance: Instance, line: MessageLine, visibleAt: Date, redelivery: boolean): void {
    void (async () => {
      await this.leases.whenOwned(instance.partition);
      await this.delay(visibleAt.getTime() - Date.now());
      if (this.stopped) return;
      const now = new Date();
      if (redelivery)
        await this.journalRedelivery(instance, 'control', messageKey(line.event), visibleAt, now);
      const invisibleUntil = new Date(now.getTime() + this.provider.controlQueueVisibilityTimeoutMs);
      await this.store.append(instance.id, [
        {
          kind: 'dequeued',
          mid: line.mid,
          at: now.toISOString(),
          invisibleUntil: invisibleUntil.toISOString(),
        },
      ]);
      instance.inbox.push({ mid: line.mid, event: line.event });
      this.kick(instance);
    })();
  }

  /** Recorded for tests: a message a dead worker left behind, taken again by this one. */
  private journalRedelivery(
    instance: Instance,
    queue: 'control' | 'workitem',
    key: string,
    visibleAt: Date,
    at: Date,
  ): Promise<void> {
    return this.leases.journal({
      kind: 'redelivered',
      at: at.toISOString(),
      owner: this.leases.owner,
      queue,
      instanceId: instance.id,
      key,
      visibleAt: visibleAt.toISOString(),
      partition: instance.partition,
    });
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
    // A response to a task or timer the committed history does not have yet (its scheduling
    // episode was enqueued but not committed when a worker died) waits, as the provider holds
    // such out-of-order messages back until the history that expects them exists.
    const known = new Set(
      instance.history
        .filter(
          (l) =>
            l.event.EventType === EventType.TaskScheduled || l.event.EventType === EventType.TimerCreated,
        )
        .map((l) => l.event.EventId),
    );
    const taken = instance.inbox.splice(0);
    const early = taken.filter((m) => {
      const ref = m.event.TaskScheduledId ?? m.event.TimerId;
      return ref !== undefined && !known.has(ref);
    });
    instance.inbox.push(...early);
    const batch = taken.filter((m) => !early.includes(m));
    // A task answered twice (run again after a restart while its first answer was already in)
    // counts once: the first answer wins; DurableTask.Core logs later ones as duplicates.
    const consumed = new Set(instance.history.map((l) => messageKey(l.event)));
    const messages = dedupeMessages(batch.map((m) => m.event)).filter((m) => !consumed.has(messageKey(m)));
    if (messages.length === 0) {
      if (batch.length > 0)
        await this.store.append(instance.id, [{ kind: 'deleted', mids: batch.map((m) => m.mid) }]);
      return;
    }
    // DurableTask.Core ends the instance at an ExecutionTerminated message without running the
    // orchestrator: the terminate is committed like any episode, then the batch is deleted.
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
      await this.store.append(instance.id, [{ kind: 'deleted', mids: batch.map((m) => m.mid) }]);
      this.finish(instance, end);
      return;
    }
    const added: EventLine[] = [{ kind: 'event', event: events.orchestratorStarted(now) }];
    const workitems: WorkItemLine[] = [];
    const timerMessages: MessageLine[] = [];
    const newWorkItem = (taskId: number, name: string, input: string | undefined): WorkItemLine => ({
      kind: 'workitem',
      mid: randomUUID(),
      taskId,
      name,
      ...(input === undefined ? {} : { input }),
      at: now.toISOString(),
    });
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
          // After the last attempt DurableTask.Core's RetryInterceptor still creates a timer (kept
          // for history compatibility) but one that fires at once, then rethrows the failure.
          const last = retry.attempt >= retry.options.maxNumberOfAttempts;
          const fireAt = new Date(now.getTime() + (last ? 0 : retryDelayMs(retry.options, retry.attempt)));
          added.push({ kind: 'event', event: events.timerCreated(now, id, fireAt), retry });
          timerMessages.push({
            kind: 'message',
            mid: randomUUID(),
            event: events.timerFired(fireAt, id, fireAt),
            visibleAt: fireAt.toISOString(),
          });
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
          workitems.push(newWorkItem(id, retry.name, retry.input));
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
      // A WaitForExternalEvent is no scheduled work: DurableTask.Core gives it no sequence number
      // and writes nothing for it (the event itself arrives as EventRaised), so it takes no part
      // in the replay check.
      newActions = checkActions(
        scheduledByOrchestrator([...instance.history, ...added]),
        flattenActions(state.actions).filter((a) => a.actionType !== ActionType.WaitForExternalEvent),
      );
    } catch (error) {
      if (!(error instanceof NonDeterminismError)) throw error;
      state = {
        isDone: false,
        actions: [],
        error: `NonDeterministicOrchestrationException: ${error.message}`,
        schemaVersion: 0,
      };
      newActions = [];
    }

    const failed = state.error !== undefined;
    if (!state.isDone && !failed) {
      for (const action of newActions) {
        if (action.actionType === ActionType.CreateTimer) {
          // A durable timer: TimerCreated in history and a TimerFired message invisible until
          // FireAt. Cancelling (TimerTask.cancel) changes neither: the extension cancels only its
          // own wait on the timer, so the message still fires later and finds nothing waiting.
          const id = instance.nextId++;
          const fireAt = new Date(action.fireAt!);
          added.push({ kind: 'event', event: events.timerCreated(now, id, fireAt) });
          timerMessages.push({
            kind: 'message',
            mid: randomUUID(),
            event: events.timerFired(fireAt, id, fireAt),
            visibleAt: fireAt.toISOString(),
          });
          continue;
        }
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
        workitems.push(newWorkItem(id, action.functionName!, input));
      }
    }
    let completed: HistoryEvent | undefined;
    if (state.isDone)
      completed = events.executionCompleted(now, 'Completed', JSON.stringify(state.output ?? null));
    else if (failed) completed = events.executionCompleted(now, 'Failed', state.error!);
    if (completed) added.push({ kind: 'event', event: completed });
    // The shim sets the custom status only when the SDK sent one (OutOfProcOrchestrationShim
    // ScheduleDurableTaskEvents): an episode without one leaves the last one in place.
    const customStatus = state.customStatus ?? undefined;
    added.push({
      kind: 'event',
      event: events.orchestratorCompleted(now),
      ...(customStatus === undefined ? {} : { customStatus }),
    });

    // The Azure Storage provider's order: first the outbound messages (work items, timer
    // messages), then the history commit (the checkpoint), then delete the inbound messages.
    const outbound = [...workitems, ...timerMessages];
    if (outbound.length > 0) await this.store.append(instance.id, outbound);
    for (const w of workitems) this.dispatchActivity(instance, w, now, false);
    for (const t of timerMessages) this.receive(instance, t, new Date(t.visibleAt!), false);
    await this.store.append(instance.id, added);
    instance.history.push(...added);
    instance.lastUpdatedTime = now.toISOString();
    if (customStatus !== undefined) instance.customStatus = customStatus;
    if (instance.status === 'pending') instance.status = 'running';
    await this.store.append(instance.id, [{ kind: 'deleted', mids: batch.map((m) => m.mid) }]);
    if (completed) {
      this.finish(instance, completed);
      return;
    }
    for (const w of [...instance.waiters]) w();
    if (early.length > 0) instance.dirty = true;
  }

  /**
   * The activity dispatcher takes a work item once it is visible, hides it for
   * WorkItemQueueVisibilityTimeout (renewed while the activity runs), runs the activity bounded by
   * functionTimeout, enqueues the response into the instance's control queue, and only then
   * deletes the work item.
   */
  /** Answers a work item with a TaskFailed without running it, and deletes the work item. */
  private async failWorkItem(instance: Instance, item: WorkItemLine, reason: string): Promise<void> {
    const response: MessageLine = {
      kind: 'message',
      mid: randomUUID(),
      event: events.taskFailed(new Date(), item.taskId, reason, reason),
    };
    await this.store.append(instance.id, [response]);
    await this.store.append(instance.id, [{ kind: 'deleted', mids: [item.mid] }]);
    this.receive(instance, response, new Date(), false);
  }

  private dispatchActivity(
    instance: Instance,
    item: WorkItemLine,
    visibleAt: Date,
    redelivery: boolean,
  ): void {
    void (async () => {
      await this.delay(visibleAt.getTime() - Date.now());
      await this.activitySlots.acquire();
      let message: HistoryEvent;
      try {
        if (this.stopped) return;
        const now = new Date();
        if (redelivery)
          await this.journalRedelivery(instance, 'workitem', `task:${item.taskId}`, visibleAt, now);
        let lockedUntil = now.getTime() + this.provider.workItemQueueVisibilityTimeoutMs;
        const dequeued = () =>
          this.store.append(instance.id, [
            {
              kind: 'dequeued',
              mid: item.mid,
              at: new Date().toISOString(),
              invisibleUntil: new Date(lockedUntil).toISOString(),
            },
          ]);
        await dequeued();
        await this.store.recordDispatch(instance.id, item.mid);
        const renew = setInterval(() => {
          if (Date.now() < lockedUntil - RENEW_BEFORE_MS) return;
          lockedUntil = Date.now() + this.provider.workItemQueueVisibilityTimeoutMs;
          void dequeued();
        }, RENEW_CHECK_MS);
        try {
          message = await this.runActivity(instance, item);
        } finally {
          clearInterval(renew);
        }
      } finally {
        this.activitySlots.release();
      }
      if (this.stopped) return;
      const response: MessageLine = { kind: 'message', mid: randomUUID(), event: message };
      await this.store.append(instance.id, [response]);
      await this.store.append(instance.id, [{ kind: 'deleted', mids: [item.mid] }]);
      this.receive(instance, response, new Date(), false);
    })();
  }

  /**
   * One activity invocation. An invocation that outlives host.json's functionTimeout fails with
   * the Functions host's FunctionTimeoutException message; the extension reports that as the
   * activity's failure (TaskFailed), so callActivityWithRetry retries it. The handler's promise
   * cannot be cancelled in Node; it is left to settle and its result is ignored.
   */
  private async runActivity(instance: Instance, item: WorkItemLine): Promise<HistoryEvent> {
    const { name, taskId, input } = item;
    let timer: NodeJS.Timeout | undefined;
    try {
      const activity = this.fn(name, 'activityTrigger');
      const context = new InvocationContext({ functionName: name, invocationId: `${instance.id}:${taskId}` });
      const timeoutMs = this.provider.functionTimeoutMs;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Timeout value of ${formatTimeSpan(timeoutMs)} was exceeded by function: Functions.${name}`,
              ),
            ),
          timeoutMs,
        );
      });
      const result = await Promise.race([
        Promise.resolve(activity.handler(input === undefined ? undefined : JSON.parse(input), context)),
        timedOut,
      ]);
      return events.taskCompleted(new Date(), taskId, JSON.stringify(result) ?? 'null');
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return events.taskFailed(
        new Date(),
        taskId,
        `Activity function '${name}' failed: ${e.message}`,
        e.stack ?? e.message,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function messageKey(e: HistoryEvent): string {
  if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed)
    return `task:${e.TaskScheduledId}`;
  if (e.EventType === EventType.TimerFired) return `timer:${e.TimerId}`;
  if (e.EventType === EventType.ExecutionStarted) return 'start';
  // Raised events carry no id: two raises of the same name and payload in the same millisecond
  // count as one here (a redelivered message must not be consumed twice after a restart).
  if (e.EventType === EventType.EventRaised) return `event:${e.Name}:${String(e.Timestamp)}:${e.Input}`;
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
