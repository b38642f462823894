import { createRequire } from 'node:module';

/**
 * Typed access to the parts of the durable-functions v3 package that the Functions host's
 * extension normally plays against: its own replay executor (`util/testingUtils`) and its
 * history event classes (`history/*`). These are internal modules of the SDK (they ship in the
 * package but have no .d.ts), so every use of them is gathered here.
 */
const require = createRequire(import.meta.url);
const lib = (path: string) => require(`durable-functions/lib/src/${path}`);

/** The wire shape of one history event, as the extension hands it to the worker. */
export type HistoryEvent = {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: Date | string;
  IsProcessed?: boolean;
  Name?: string;
  Input?: string;
  Result?: string;
  TaskScheduledId?: number;
  Reason?: string;
  Details?: string;
  FireAt?: Date | string;
  TimerId?: number;
  OrchestrationStatus?: 'Completed' | 'Failed' | 'Terminated';
};

export const EventType: {
  ExecutionStarted: number;
  ExecutionCompleted: number;
  ExecutionTerminated: number;
  TaskScheduled: number;
  TaskCompleted: number;
  TaskFailed: number;
  TimerCreated: number;
  TimerFired: number;
  OrchestratorStarted: number;
  OrchestratorCompleted: number;
  EventRaised: number;
} = lib('history/HistoryEventType').HistoryEventType;

export const ReplaySchema: { V1: number; V2: number; V3: number; V4: number } = lib(
  'orchestrations/ReplaySchema',
).ReplaySchema;

type Opts = { eventId: number; timestamp: Date; isPlayed: boolean; [k: string]: unknown };
type EventClass = new (options: Opts) => HistoryEvent;
const cls = (file: string): EventClass => lib(`history/${file}`)[file];

const classes = {
  OrchestratorStarted: cls('OrchestratorStartedEvent'),
  OrchestratorCompleted: cls('OrchestratorCompletedEvent'),
  ExecutionStarted: cls('ExecutionStartedEvent'),
  TaskScheduled: cls('TaskScheduledEvent'),
  TaskCompleted: cls('TaskCompletedEvent'),
  TaskFailed: cls('TaskFailedEvent'),
  TimerCreated: cls('TimerCreatedEvent'),
  TimerFired: cls('TimerFiredEvent'),
  EventRaised: cls('EventRaisedEvent'),
};
const HistoryEventBase: new (type: number, id: number, played: boolean, ts: Date) => HistoryEvent =
  lib('history/HistoryEvent').HistoryEvent;

const plain = (e: HistoryEvent): HistoryEvent => JSON.parse(JSON.stringify(e));

/** Event constructors; each goes through the SDK's own class, then becomes plain JSON. */
export const events = {
  orchestratorStarted: (at: Date) =>
    plain(new classes.OrchestratorStarted({ eventId: -1, timestamp: at, isPlayed: false })),
  orchestratorCompleted: (at: Date) =>
    plain(new classes.OrchestratorCompleted({ eventId: -1, timestamp: at, isPlayed: false })),
  executionStarted: (at: Date, name: string, input: unknown) =>
    plain(
      new classes.ExecutionStarted({
        eventId: -1,
        timestamp: at,
        isPlayed: false,
        name,
        input: JSON.stringify(input),
      }),
    ),
  taskScheduled: (at: Date, id: number, name: string, input: string | undefined) =>
    plain(new classes.TaskScheduled({ eventId: id, timestamp: at, isPlayed: false, name, input })),
  taskCompleted: (at: Date, taskScheduledId: number, result: string) =>
    plain(
      new classes.TaskCompleted({ eventId: -1, timestamp: at, isPlayed: false, taskScheduledId, result }),
    ),
  taskFailed: (at: Date, taskScheduledId: number, reason: string, details: string) =>
    plain(
      new classes.TaskFailed({
        eventId: -1,
        timestamp: at,
        isPlayed: false,
        taskScheduledId,
        reason,
        details,
      }),
    ),
  timerCreated: (at: Date, id: number, fireAt: Date) =>
    plain(new classes.TimerCreated({ eventId: id, timestamp: at, isPlayed: false, fireAt })),
  timerFired: (at: Date, timerId: number, fireAt: Date | string) =>
    plain(new classes.TimerFired({ eventId: -1, timestamp: at, isPlayed: false, timerId, fireAt })),
  /** An external event (the client's raiseEvent): its name and its JSON payload. */
  eventRaised: (at: Date, name: string, input: string | undefined) =>
    plain(new classes.EventRaised({ eventId: -1, timestamp: at, isPlayed: false, name, input })),
  /** The terminate message (DurableTask.Core ExecutionTerminatedEvent); no SDK class either. */
  executionTerminated: (at: Date, reason: string) =>
    plain(
      Object.assign(new HistoryEventBase(EventType.ExecutionTerminated, -1, false, at), { Input: reason }),
    ),
  /** The SDK ships no class for this one (it never reads it); the extension writes it last. */
  executionCompleted: (at: Date, status: 'Completed' | 'Failed' | 'Terminated', result: string) =>
    plain(
      Object.assign(new HistoryEventBase(EventType.ExecutionCompleted, -1, false, at), {
        OrchestrationStatus: status,
        Result: result,
      }),
    ),
};

/** An action as the SDK returns it (camelCase, the out-of-proc protocol's JSON). */
export type SdkAction = {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsJson;
  compoundActions?: SdkAction[];
  fireAt?: string | Date;
  /** CreateTimer: set by TimerTask.cancel() */
  isCanceled?: boolean;
  /** WaitForExternalEvent */
  externalEventName?: string;
};
export type RetryOptionsJson = {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
};
export const ActionType: {
  CallActivity: number;
  CallActivityWithRetry: number;
  CreateTimer: number;
  WaitForExternalEvent: number;
  WhenAll: number;
  WhenAny: number;
} = lib('actions/ActionType').ActionType;

export type OrchestratorState = {
  isDone: boolean;
  actions: SdkAction[][];
  output?: unknown;
  error?: string;
  /** context.df.setCustomStatus's value at the end of the episode (absent when null/unset) */
  customStatus?: unknown;
  schemaVersion: number;
};

const testing = lib('util/testingUtils');
const OUT_OF_PROC_DATA = '\n\n$OutOfProcData$:';

/**
 * Runs one orchestrator episode through the SDK: the registered (already wrapped) handler gets
 * the history the way the extension sends it, a fresh invocation context, and returns the
 * orchestrator state; a failed orchestration comes back as a state with `error`, exactly as the
 * extension decodes it from the `$OutOfProcData$` suffix of the thrown error.
 */
export async function runOrchestratorEpisode(
  handler: (...args: unknown[]) => unknown,
  p: { instanceId: string; functionName: string; history: HistoryEvent[]; input: unknown; schema?: number },
): Promise<OrchestratorState> {
  const binding = new testing.DurableOrchestrationInput(
    p.instanceId,
    p.history,
    p.input,
    undefined,
    undefined,
    undefined,
    p.schema ?? ReplaySchema.V3,
    false,
  );
  const context = new testing.DummyOrchestrationContext(
    p.functionName,
    `${p.instanceId}:${p.history.length}`,
    () => {},
  );
  try {
    return (await handler(binding, context)) as OrchestratorState;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(OUT_OF_PROC_DATA);
    if (at < 0) throw error;
    return JSON.parse(message.slice(at + OUT_OF_PROC_DATA.length)) as OrchestratorState;
  }
}

/** Flattens V1 groups and V2+ compound (WhenAll/WhenAny) actions into scheduling order. */
export function flattenActions(actions: SdkAction[][] | SdkAction[]): SdkAction[] {
  const out: SdkAction[] = [];
  const walk = (a: SdkAction | SdkAction[]) => {
    if (Array.isArray(a)) a.forEach(walk);
    else if (a.compoundActions) a.compoundActions.forEach(walk);
    else out.push(a);
  };
  walk(actions as SdkAction[]);
  return out;
}

/** Wraps an orchestrator function exactly as df.app.orchestration does (for replay tests of variants). */
export function wrapOrchestrator(fn: unknown): (...args: unknown[]) => unknown {
  return testing.createOrchestrator(fn);
}
