import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ExtractResult, SplitResult, WorkflowInput } from '@invoice/shared/flow/types';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVITY, ORCHESTRATOR } from '../src/names';
import { deadlineOf, withinDeadline } from '../src/orchestrator';
import { llmRetryOptions } from '../src/retry-options';
import { loadFunctionApp, type RegisteredFunction } from '../test-host/functions-core';
import { type EventLine, HistoryLog, type LogLine } from '../test-host/history-log';
import { checkActions, ReplayHost, scheduledByOrchestrator, serializeInput } from '../test-host/replay-host';
import {
  EventType,
  flattenActions,
  type HistoryEvent,
  runOrchestratorEpisode,
  wrapOrchestrator,
} from '../test-host/sdk';
import { committed, postSample, readHistory } from './helpers';

/**
 * Replay fidelity: a history recorded by the test host for a real 10-page run (real activities,
 * Azurite, mock LLM) is fed back to the app's registered orchestrator through the SDK executor.
 */
let stack: StackHandle;
let functions: ReadonlyMap<string, RegisteredFunction>;
let recorded: EventLine[];
let instanceId: string;
const sample = SAMPLES.find((s) => s.pages === 10)!;

beforeAll(async () => {
  functions = await loadFunctionApp(fileURLToPath(new URL('../src/functions.ts', import.meta.url)));
  stack = await upStack('azure-durable-functions');
  await mockLlm.neutral(stack.llmUrl);
  // One page fails once, so the recording also holds a TaskFailed, a retry timer and a re-schedule.
  await mockLlm.configure(stack.llmUrl, {
    latency: { kind: 'fixed', ms: 20 },
    failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0, script: ['500'] },
  });
  const { status, body } = await postSample(stack, sample, true);
  expect(status).toBe(200);
  instanceId = body.id;
  recorded = committed(await readHistory(stack, instanceId));
});
afterAll(() => stack?.down());

const orchestrator = () => functions.get(ORCHESTRATOR)!.handler;
const inputOf = (lines: EventLine[]) =>
  JSON.parse(
    lines.find((l) => l.event.EventType === EventType.ExecutionStarted)!.event.Input!,
  ) as WorkflowInput;
const replay = (handler: RegisteredFunction['handler'], lines: EventLine[]) =>
  runOrchestratorEpisode(handler, {
    instanceId,
    functionName: ORCHESTRATOR,
    history: lines.map((l) => structuredClone(l.event) as HistoryEvent),
    input: inputOf(lines),
  });
const asCalls = (actions: ReturnType<typeof flattenActions>) =>
  actions.map((a) => `${a.functionName}(${serializeInput(a.input)})`);
const asScheduled = (lines: EventLine[]) =>
  scheduledByOrchestrator(lines).map((l) => `${l.event.Name}(${l.event.Input})`);

describe('replay fidelity (SDK executor over recorded host history)', () => {
  it('loads the functions the app registers, as the Functions host indexes them', () => {
    expect([...functions.values()].map((f) => `${f.name}:${f.triggerType}`).sort()).toEqual(
      [
        `${ORCHESTRATOR}:orchestrationTrigger`,
        `${ACTIVITY.split}:activityTrigger`,
        `${ACTIVITY.extract}:activityTrigger`,
        `${ACTIVITY.aggregate}:activityTrigger`,
        `${ACTIVITY.recordDecision}:activityTrigger`,
        'invoiceApi:httpTrigger',
      ].sort(),
    );
  });

  it('the recording has the host event sequence, including a retry', () => {
    const types = recorded.map((l) => l.event.EventType);
    expect(types[0]).toBe(EventType.OrchestratorStarted);
    expect(types[1]).toBe(EventType.ExecutionStarted);
    expect(types.at(-2)).toBe(EventType.ExecutionCompleted);
    expect(types.at(-1)).toBe(EventType.OrchestratorCompleted);
    expect(types.filter((t) => t === EventType.OrchestratorStarted).length).toBe(
      types.filter((t) => t === EventType.OrchestratorCompleted).length,
    );
    expect(types.filter((t) => t === EventType.TaskFailed)).toHaveLength(10);
    expect(types.filter((t) => t === EventType.TimerFired)).toHaveLength(10);
  });

  it('at every step of the recorded history the orchestrator asks for exactly what the host scheduled', async () => {
    const ends = recorded.flatMap((l, i) =>
      l.event.EventType === EventType.OrchestratorCompleted ? [i] : [],
    );
    expect(ends.length).toBeGreaterThan(3);
    for (const [step, end] of ends.entries()) {
      const prefix = recorded.slice(0, end);
      const state = await replay(orchestrator(), prefix);
      expect(state.error).toBeUndefined();
      expect(asCalls(flattenActions(state.actions)), `step ${step}`).toEqual(asScheduled(prefix));
      expect(state.isDone).toBe(step === ends.length - 1);
    }
  });

  it('replaying the finished history gives the recorded output and schedules nothing new', async () => {
    const state = await replay(orchestrator(), recorded);
    const end = recorded.find((l) => l.event.EventType === EventType.ExecutionCompleted)!.event;
    expect(state.isDone).toBe(true);
    expect(state.output).toEqual(JSON.parse(end.Result!));
    expect(checkActions(scheduledByOrchestrator(recorded), flattenActions(state.actions))).toEqual([]);
    const again = await replay(orchestrator(), recorded);
    expect(again.output).toEqual(state.output);
  });

  // Variants of the orchestrator, each replayed over the recorded history. DurableTask.Core
  // matches history to actions by sequence number, and checks an action's type and an activity's
  // name there, nothing else (checkActions; SPEC "Replay rule"). Like the app's orchestrator, each
  // races its steps with a deadline timer (the API gives every run a deadline), so the recorded
  // sequence numbers are split 0, its timer 1, the pages, their timer, aggregate, its timer.
  const retry = llmRetryOptions();
  type Step = (context: OrchestrationContext, split: SplitResult) => Generator<unknown, unknown, unknown>;
  const variant = (
    extract: (context: OrchestrationContext, split: SplitResult, invoiceId: string) => unknown[],
    opts: { before?: Step; aggregate?: boolean; splitInput?: (input: WorkflowInput) => unknown } = {},
  ): OrchestrationHandler =>
    function* (context: OrchestrationContext) {
      const input = context.df.getInput() as WorkflowInput;
      const { invoiceId, pdfKey, acceptedAt } = input;
      const deadline = deadlineOf(context, input);
      const split: SplitResult = yield* withinDeadline(
        context,
        deadline,
        context.df.callActivity(
          ACTIVITY.split,
          opts.splitInput ? opts.splitInput(input) : { invoiceId, pdfKey },
        ),
      );
      if (opts.before) yield* opts.before(context, split);
      const extractions: ExtractResult[] = yield* withinDeadline(
        context,
        deadline,
        context.df.Task.all(extract(context, split, invoiceId) as never[]),
      );
      if (opts.aggregate === false) return extractions.length;
      return yield* withinDeadline(
        context,
        deadline,
        context.df.callActivity(ACTIVITY.aggregate, {
          invoiceId,
          acceptedAt,
          split: split.span,
          extractions,
        }),
      );
    } as OrchestrationHandler;
  const perPage =
    (name: string, pages: (split: SplitResult) => SplitResult['pages']) =>
    (context: OrchestrationContext, split: SplitResult, invoiceId: string) =>
      pages(split).map((page) => context.df.callActivityWithRetry(name, retry, { invoiceId, page }));
  const samePages = (split: SplitResult) => split.pages;

  const caught: Array<[string, OrchestrationHandler, RegExp]> = [
    [
      'a different activity name at a sequence number (extractPage renamed)',
      variant(perPage('extractPageV2', samePages)),
      /named 'extractPage', but the current orchestration replay instead scheduled an activity task named 'extractPageV2'/,
    ],
    [
      'a different action type at a sequence number (a timer where the first extractPage was)',
      variant(perPage(ACTIVITY.extract, samePages), {
        *before(context) {
          yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 1000));
        },
      }),
      /named 'extractPage', but the current orchestration replay instead produced a timer action/,
    ],
    [
      'an extra action in the middle (a second splitPdf before the fan-out)',
      variant(perPage(ACTIVITY.extract, samePages), {
        *before(context, split) {
          yield context.df.callActivity(ACTIVITY.split, { pdfKey: split.span });
        },
      }),
      /named 'extractPage', but the current orchestration replay instead scheduled an activity task named 'splitPdf'/,
    ],
    [
      'a missing action (the aggregate step dropped)',
      variant(perPage(ACTIVITY.extract, samePages), { aggregate: false }),
      /named 'aggregateInvoice', but the current replay execution hasn't \(yet\?\) scheduled this task/,
    ],
  ];
  for (const [name, handler, message] of caught) {
    it(`caught, as DurableTask.Core catches it: ${name}`, async () => {
      const state = await replay(wrapOrchestrator(handler), recorded);
      expect(() => checkActions(scheduledByOrchestrator(recorded), flattenActions(state.actions))).toThrow(
        message,
      );
    });
  }

  // What DurableTask.Core does not compare. These variants are wrong, and real Durable Functions
  // replays them without a word: the tests show that they pass and what they changed.
  const notCaught: Array<[string, OrchestrationHandler]> = [
    [
      'the pages fanned out in reverse order (same name at every sequence number)',
      variant(perPage(ACTIVITY.extract, (s) => [...s.pages].reverse())),
    ],
    [
      'Date.now() in an activity input',
      variant(perPage(ACTIVITY.extract, samePages), {
        splitInput: ({ invoiceId, pdfKey }) => ({ invoiceId, pdfKey, at: Date.now() }),
      }),
    ],
  ];
  for (const [name, handler] of notCaught) {
    it(`NOT caught by real Durable Functions, shown to pass: ${name}`, async () => {
      const state = await replay(wrapOrchestrator(handler), recorded);
      const actions = flattenActions(state.actions);
      // The inputs it asks for now differ from the ones in history ...
      expect(asCalls(actions)).not.toEqual(asScheduled(recorded));
      // ... yet nothing is raised, nothing new is scheduled, and the recorded output is returned.
      expect(checkActions(scheduledByOrchestrator(recorded), actions)).toEqual([]);
      expect(state.error).toBeUndefined();
      expect(state.isDone).toBe(true);
      const end = recorded.find((l) => l.event.EventType === EventType.ExecutionCompleted)!.event;
      expect(state.output).toEqual(JSON.parse(end.Result!));
    });
  }

  const renamed = caught[0]![1];

  it('the host fails a resumed instance whose orchestrator now calls another activity name, and completes it with the unchanged one', async () => {
    // Cut the recording after the fan-out was scheduled and one result had arrived, then resume it
    // on a fresh host whose orchestrator calls the extract activity by another name.
    const fanOutScheduled = recorded.findIndex(
      (l, i) =>
        l.event.EventType === EventType.OrchestratorCompleted &&
        recorded.slice(0, i).some((e) => e.event.Name === ACTIVITY.extract),
    );
    expect(fanOutScheduled).toBeGreaterThan(0);
    // The first answer to one of the fan-out's tasks (in this recording every page's first attempt
    // failed once, so it is a TaskFailed): a response to a task the cut history has scheduled.
    const extractIds = new Set(
      recorded
        .slice(0, fanOutScheduled + 1)
        .filter((l) => l.event.Name === ACTIVITY.extract)
        .map((l) => l.event.EventId),
    );
    const result = recorded.find(
      (l) =>
        (l.event.EventType === EventType.TaskCompleted || l.event.EventType === EventType.TaskFailed) &&
        extractIds.has(l.event.TaskScheduledId!),
    )!;
    const arrived: LogLine = { kind: 'message', mid: 'cut-1', event: result.event };
    const dir = await mkdtemp(join(tmpdir(), 'df-replay-'));
    const dir2 = await mkdtemp(join(tmpdir(), 'df-replay-'));
    // The fan-out's other tasks are still in the work-item queue (enqueued before that commit).
    const queued: LogLine[] = recorded
      .slice(0, fanOutScheduled + 1)
      .filter((l) => extractIds.has(l.event.EventId) && l.event.EventId !== result.event.TaskScheduledId)
      .map((l) => ({
        kind: 'workitem',
        mid: `cut-w${l.event.EventId}`,
        taskId: l.event.EventId,
        name: l.event.Name!,
        input: l.event.Input,
        at: String(l.event.Timestamp),
      }));
    const cut = [...queued, ...recorded.slice(0, fanOutScheduled + 1), arrived];
    await new HistoryLog(dir).append(instanceId, cut);
    await new HistoryLog(dir2).append(instanceId, cut);
    const never = {
      name: 'x',
      triggerType: 'activityTrigger',
      bindings: {},
      handler: () => new Promise(() => {}),
    };
    const variantFunctions = new Map<string, RegisteredFunction>([
      ...functions,
      [ORCHESTRATOR, { ...functions.get(ORCHESTRATOR)!, handler: wrapOrchestrator(renamed) }],
      [ACTIVITY.extract, { ...never, name: ACTIVITY.extract }],
    ]);
    const host = new ReplayHost({
      functions: variantFunctions,
      historyDir: dir,
      maxConcurrentActivities: 4,
      log: (l) => console.error(l),
    });
    expect(await host.resume()).toBe(1);
    const view = await host.waitFor(instanceId, 30_000);
    host.stop();
    expect(view?.status).toBe('failed');
    expect(view?.error).toMatch(
      /NonDeterministicOrchestrationException: A previous execution of this orchestration/,
    );
    // The same cut resumed with the unchanged orchestrator is accepted: with activities that
    // answer what they answered in the recording, it runs to the recorded output.
    const recordedResult = new Map<string, string>();
    for (const l of recorded) {
      if (l.event.EventType !== EventType.TaskScheduled) continue;
      const done = recorded.find(
        (r) => r.event.EventType === EventType.TaskCompleted && r.event.TaskScheduledId === l.event.EventId,
      );
      if (done) recordedResult.set(`${l.event.Name}:${l.event.Input}`, done.event.Result!);
    }
    const replayed = (name: string): RegisteredFunction => ({
      name,
      triggerType: 'activityTrigger',
      bindings: {},
      handler: async (input: unknown) => JSON.parse(recordedResult.get(`${name}:${JSON.stringify(input)}`)!),
    });
    const sameFunctions = new Map<string, RegisteredFunction>([
      [ORCHESTRATOR, functions.get(ORCHESTRATOR)!],
      ...Object.values(ACTIVITY).map((name) => [name, replayed(name)] as const),
    ]);
    const host2 = new ReplayHost({ functions: sameFunctions, historyDir: dir2, maxConcurrentActivities: 4 });
    expect(await host2.resume()).toBe(1);
    const view2 = await host2.waitFor(instanceId, 60_000);
    host2.stop();
    const end = recorded.find((l) => l.event.EventType === EventType.ExecutionCompleted)!.event;
    expect(view2?.status).toBe('completed');
    expect(view2?.output).toEqual(JSON.parse(end.Result!));
  });
});

/**
 * The approval wait and the deadline on a host in this process, with stub activities (the
 * orchestrator is the app's): what the history and the SDK make of an event that arrives early,
 * of cancelled timers that still fire, and of a deadline timer that wins over a running activity.
 */
describe('external event, durable timers and custom status on the test host (stub activities)', () => {
  const stub = (name: string, handler: (input: never) => unknown): RegisteredFunction => ({
    name,
    triggerType: 'activityTrigger',
    bindings: {},
    handler: async (input: unknown) => handler(input as never),
  });
  const page = { index: 0, textKey: 'invoices/x/pages/0000.txt' };
  const aggregated = { invoiceKey: 'invoices/x/invoice.json', pageCount: 1, discrepancyCount: 1 };
  const stubs = (over: Partial<Record<keyof typeof ACTIVITY, (input: never) => unknown>> = {}) => [
    stub(ACTIVITY.split, over.split ?? (() => ({ pages: [page], span: { name: 'split' } }))),
    stub(ACTIVITY.extract, over.extract ?? (() => ({ extractionKey: 'invoices/x/extractions/0000.json' }))),
    stub(ACTIVITY.aggregate, over.aggregate ?? (() => aggregated)),
    stub(
      ACTIVITY.recordDecision,
      over.recordDecision ??
        ((input: { invoiceKey: string; approval: unknown }) => ({ ...aggregated, approval: input.approval })),
    ),
  ];
  const hosts: ReplayHost[] = [];
  afterAll(() => {
    for (const h of hosts) h.stop();
  });
  async function run(activities: RegisteredFunction[], limits: Partial<WorkflowInput>) {
    const historyDir = await mkdtemp(join(tmpdir(), 'df-approval-'));
    const host = new ReplayHost({
      functions: new Map([
        [ORCHESTRATOR, functions.get(ORCHESTRATOR)!],
        ...activities.map((a) => [a.name, a] as const),
      ]),
      historyDir,
      maxConcurrentActivities: 4,
      log: (l) => console.error(l),
    });
    hosts.push(host);
    const id = `approval-${hosts.length}`;
    const input: WorkflowInput = {
      invoiceId: id,
      pdfKey: 'invoices/x/source.pdf',
      acceptedAt: Date.now(),
      ...limits,
    };
    await host.start(ORCHESTRATOR, id, input);
    const history = async () => committed(await new HistoryLog(historyDir).read(id));
    return { host, id, history };
  }
  const types = (lines: EventLine[]) => lines.map((l) => l.event.EventType);

  it('an event raised before the orchestrator waits for it is kept, and wins the race at once', async () => {
    let release!: () => void;
    let aggregating!: () => void;
    const called = new Promise<void>((resolve) => {
      aggregating = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { host, id, history } = await run(
      stubs({
        aggregate: async () => {
          aggregating();
          await gate;
          return aggregated;
        },
      }),
      { approvalTimeoutMs: 3_600_000 },
    );
    await called;
    expect(await host.raiseEvent(id, 'approval', JSON.stringify({ approved: true, note: 'early' }))).toBe(
      'accepted',
    );
    // The event's episode commits while aggregate runs: in history, nothing waits for it yet.
    for (let i = 0; i < 200 && !types(await history()).includes(EventType.EventRaised); i++) await sleep(25);
    expect(host.view(id)?.customStatus).toBeUndefined();
    release();
    const done = await host.waitFor(id, 30_000);
    expect(done?.status).toBe('completed');
    expect(done?.output).toMatchObject({
      approval: { approved: true, note: 'early', decidedBy: 'approver' },
    });
    const lines = await history();
    const raisedAt = types(lines).indexOf(EventType.EventRaised);
    const aggregateDone = lines.findIndex(
      (l) =>
        l.event.EventType === EventType.TaskCompleted && JSON.parse(l.event.Result!).discrepancyCount === 1,
    );
    expect(raisedAt).toBeGreaterThan(0);
    expect(raisedAt).toBeLessThan(aggregateDone);
    // The approval timer was created and cancelled, the last custom status is the decision's.
    expect(done?.customStatus).toBe('decision_taken');
    expect(await host.raiseEvent(id, 'approval', '{}')).toBe('gone');
  });

  it('cancelled deadline timers still fire, and change nothing; with no event the approval timer ends the wait', async () => {
    const { host, id, history } = await run(stubs(), { deadlineMs: 2_000, approvalTimeoutMs: 5_000 });
    const waiting = await host.waitFor(id, 30_000, (v) => v.customStatus === 'awaiting_approval');
    expect(waiting?.status).toBe('running');
    expect(waiting?.customStatus).toBe('awaiting_approval');
    const done = await host.waitFor(id, 30_000);
    expect(done?.status).toBe('completed');
    expect(done?.output).toMatchObject({
      approval: { approved: false, note: null, decidedBy: 'timeout' },
    });
    const lines = await history();
    // Three deadline timers (split, fan-out, aggregate; each cancelled) and the approval timer.
    expect(types(lines).filter((t) => t === EventType.TimerCreated)).toHaveLength(4);
    expect(types(lines).filter((t) => t === EventType.TimerFired)).toHaveLength(4);
    expect(lines.filter((l) => l.event.Name === ACTIVITY.recordDecision)).toHaveLength(1);
  });

  it('a deadline timer that wins fails the run with deadline_exceeded while the activity still runs', async () => {
    let running = 0;
    const { host, id } = await run(
      stubs({
        extract: () => {
          running++;
          return new Promise(() => {});
        },
      }),
      { deadlineMs: 1_000, approvalTimeoutMs: 5_000 },
    );
    const done = await host.waitFor(id, 30_000);
    expect(done?.status).toBe('failed');
    expect(done?.error).toMatch(/^deadline_exceeded: the invoice was not done within 1000 ms/);
    // Durable Functions has no way to stop it: the invocation is still running.
    expect(running).toBe(1);
  });
});
