import { WorkflowContext } from '@dapr/dapr';
import type {
  HistoryEvent,
  OrchestratorAction,
} from '@dapr/dapr/workflow/internal/durabletask/proto/orchestrator_service_pb';
// The SDK's own replay engine: the same code that runs the workflow against daprd's history.
import * as ph from '@dapr/dapr/workflow/internal/durabletask/utils/pb-helper.util';
import { OrchestrationExecutor } from '@dapr/dapr/workflow/internal/durabletask/worker/orchestration-executor';
import { Registry } from '@dapr/dapr/workflow/internal/durabletask/worker/registry';
import { APPROVAL_EVENT, AWAITING_APPROVAL, deadlineMessage } from '@invoice/shared/flow/approval';
import type {
  ExtractResult,
  PageRef,
  SplitResult,
  WorkflowInput,
  WorkflowOutput,
} from '@invoice/shared/flow/types';
import { jitteredDelayMs, LLM_RETRY_POLICY } from '@invoice/shared/llm/retry-policy';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_NAME } from './config';
import type { Attempt } from './retry';
import { unitHash } from './retry';
import { invoiceWorkflow } from './workflow';

/**
 * The workflow replayed by the SDK's OrchestrationExecutor against hand-written history: what it
 * schedules, when it retries, and that a replay decides the same. The integration tests run the
 * same code on the real daprd; these pin the decisions without a runtime or a clock.
 */
const INSTANCE = '6f1c2a9e-0000-4000-8000-000000000001';
const T0 = new Date('2026-01-01T00:00:00Z');
const input: WorkflowInput = {
  invoiceId: INSTANCE,
  pdfKey: `invoices/${INSTANCE}/source.pdf`,
  acceptedAt: 1,
};
const page = (n: number): PageRef => ({
  pageNumber: n,
  renderScale: 1,
  pdfKey: `p${n}.pdf`,
  pngKey: `p${n}.png`,
  textKey: `p${n}.txt`,
});
const span = { startedAt: 1, finishedAt: 2 };
const ok = <T>(value: T): string => JSON.stringify({ ok: true, value } satisfies Attempt<T>);
const extracted = (n: number): ExtractResult => ({
  pageNumber: n,
  extractionKey: `e${n}.json`,
  attempts: 1,
  span,
});

function executor() {
  const registry = new Registry();
  registry.addNamedOrchestrator(WORKFLOW_NAME, (ctx, wfInput) =>
    invoiceWorkflow(new WorkflowContext(ctx), wfInput),
  );
  return new OrchestrationExecutor(registry);
}

/** Runs one orchestration step: everything in `history` is old, `fresh` is new. */
async function step(history: HistoryEvent[], fresh: HistoryEvent[]): Promise<OrchestratorAction[]> {
  return (await executor().execute(INSTANCE, history, fresh)).actions;
}

const scheduled = (actions: OrchestratorAction[]) =>
  actions
    .filter((a) => a.hasScheduletask())
    .map((a) => ({
      id: a.getId(),
      name: a.getScheduletask()!.getName(),
      input: JSON.parse(a.getScheduletask()!.getInput()!.getValue()),
    }));

/** History up to the fan-out of three pages (action ids count from 1: split = 1, extracts = 2, 3, 4). */
function startedThreePages(wfInput: WorkflowInput = input): HistoryEvent[] {
  const split: SplitResult = { pages: [page(1), page(2), page(3)], span };
  return [
    ph.newOrchestratorStartedEvent(T0),
    ph.newExecutionStartedEvent(WORKFLOW_NAME, INSTANCE, JSON.stringify(wfInput)),
    ph.newTaskScheduledEvent(1, 'split'),
    ph.newOrchestratorStartedEvent(T0),
    ph.newTaskCompletedEvent(1, ok(split)),
    ph.newTaskScheduledEvent(2, 'extract'),
    ph.newTaskScheduledEvent(3, 'extract'),
    ph.newTaskScheduledEvent(4, 'extract'),
  ];
}

describe('invoiceWorkflow under the SDK replay engine', () => {
  it('splits, then schedules one extract per page in the same step (the fan-out)', async () => {
    const first = await step(
      [],
      [
        ph.newOrchestratorStartedEvent(T0),
        ph.newExecutionStartedEvent(WORKFLOW_NAME, INSTANCE, JSON.stringify(input)),
      ],
    );
    expect(scheduled(first)).toEqual([
      { id: 1, name: 'split', input: { invoiceId: INSTANCE, pdfKey: input.pdfKey } },
    ]);

    const history = startedThreePages().slice(0, 3);
    const split: SplitResult = { pages: [page(1), page(2), page(3)], span };
    const fanOut = await step(history, [
      ph.newOrchestratorStartedEvent(T0),
      ph.newTaskCompletedEvent(1, ok(split)),
    ]);
    expect(
      scheduled(fanOut).map(({ name, input: i }) => `${name}:${i.page.pageNumber}:${i.attempt}`),
    ).toEqual(['extract:1:1', 'extract:2:1', 'extract:3:1']);
  });

  it('retries one failed page on a durable timer while the others are still running', async () => {
    const history = startedThreePages();
    const failure = JSON.stringify({
      ok: false,
      retryable: true,
      error: 'extract answered 502',
    } satisfies Attempt<never>);
    const t1 = new Date(T0.getTime() + 1_000);
    const actions = await step(history, [
      ph.newOrchestratorStartedEvent(t1),
      ph.newTaskCompletedEvent(3, failure),
    ]);
    // Pages 1 and 3 have not answered, yet page 2's retry timer is already set.
    const timers = actions.filter((a) => a.hasCreatetimer());
    expect(timers).toHaveLength(1);
    const fireAt = timers[0]!.getCreatetimer()!.getFireat()!.toDate().getTime();
    const expectedDelay = jitteredDelayMs(LLM_RETRY_POLICY, 1, () => unitHash(`${INSTANCE}/1/1`));
    expect(fireAt - t1.getTime()).toBe(expectedDelay);
    expect(expectedDelay).toBeGreaterThanOrEqual(80);
    expect(expectedDelay).toBeLessThanOrEqual(120);

    // The timer fires: page 2 is called again, as attempt 2.
    const timerId = timers[0]!.getId();
    const afterTimer = await step(
      [
        ...history,
        ph.newOrchestratorStartedEvent(t1),
        ph.newTaskCompletedEvent(3, failure),
        ph.newTimerCreatedEvent(timerId, new Date(fireAt)),
      ],
      [ph.newOrchestratorStartedEvent(new Date(fireAt)), ph.newTimerFiredEvent(timerId, new Date(fireAt))],
    );
    expect(
      scheduled(afterTimer).map(({ name, input: i }) => `${name}:${i.page.pageNumber}:${i.attempt}`),
    ).toEqual(['extract:2:2']);
  });

  it('honours Retry-After when it is longer than the backoff', async () => {
    const failure = JSON.stringify({
      ok: false,
      retryable: true,
      retryAfterMs: 1_500,
      error: '429',
    } satisfies Attempt<never>);
    const actions = await step(startedThreePages(), [
      ph.newOrchestratorStartedEvent(T0),
      ph.newTaskCompletedEvent(2, failure),
    ]);
    const fireAt = actions
      .find((a) => a.hasCreatetimer())!
      .getCreatetimer()!
      .getFireat()!
      .toDate()
      .getTime();
    expect(fireAt - T0.getTime()).toBe(1_500);
  });

  it('aggregates the extractions in page order once every page is in, then completes', async () => {
    const history = startedThreePages();
    const done = [
      ph.newOrchestratorStartedEvent(T0),
      ph.newTaskCompletedEvent(4, ok(extracted(3))),
      ph.newTaskCompletedEvent(2, ok(extracted(1))),
      ph.newTaskCompletedEvent(3, ok(extracted(2))),
    ];
    const actions = await step(history, done);
    const [aggregate] = scheduled(actions);
    expect(aggregate!.name).toBe('aggregate');
    expect(aggregate!.input.extractions.map((e: ExtractResult) => e.pageNumber)).toEqual([1, 2, 3]);

    const output: WorkflowOutput = { invoiceKey: 'invoice.json', pageCount: 3, discrepancyCount: 0 };
    const final = await step(
      [...history, ...done, ph.newTaskScheduledEvent(5, 'aggregate')],
      [ph.newOrchestratorStartedEvent(T0), ph.newTaskCompletedEvent(5, ok(output))],
    );
    const complete = final.find((a) => a.hasCompleteorchestration())!.getCompleteorchestration()!;
    expect(JSON.parse(complete.getResult()!.getValue())).toEqual(output);
  });

  it('fails the run on a non-retryable answer, with the reason', async () => {
    const failure = JSON.stringify({
      ok: false,
      retryable: false,
      error: 'extract answered 502: LLM answered 400',
    } satisfies Attempt<never>);
    const actions = await step(startedThreePages(), [
      ph.newOrchestratorStartedEvent(T0),
      ph.newTaskCompletedEvent(2, failure),
    ]);
    const complete = actions.find((a) => a.hasCompleteorchestration())!.getCompleteorchestration()!;
    expect(complete.getFailuredetails()!.getErrormessage()).toContain(
      'call 1 of 3 failed after 1 attempt(s): extract answered 502: LLM answered 400',
    );
  });

  it('makes the same decisions on replay (deterministic jitter)', async () => {
    const failure = JSON.stringify({ ok: false, retryable: true, error: 'x' } satisfies Attempt<never>);
    const run = () =>
      step(startedThreePages(), [ph.newOrchestratorStartedEvent(T0), ph.newTaskCompletedEvent(4, failure)]);
    const fire = async () =>
      (await run())
        .find((a) => a.hasCreatetimer())!
        .getCreatetimer()!
        .getFireat()!
        .toDate()
        .getTime();
    expect(await fire()).toBe(await fire());
  });
});

describe('approval and deadline under the SDK replay engine (issue 16)', () => {
  const waiting: WorkflowInput = { ...input, approvalTimeoutMs: 60_000 };
  const discrepant: WorkflowOutput = { invoiceKey: 'invoice.json', pageCount: 3, discrepancyCount: 1 };
  /** Every page in and aggregate (id 5) scheduled, for an input that may wait for approval. */
  const aggregated = () => [
    ...startedThreePages(waiting),
    ph.newOrchestratorStartedEvent(T0),
    ph.newTaskCompletedEvent(2, ok(extracted(1))),
    ph.newTaskCompletedEvent(3, ok(extracted(2))),
    ph.newTaskCompletedEvent(4, ok(extracted(3))),
    ph.newTaskScheduledEvent(5, 'aggregate'),
  ];
  const fireAt = new Date(T0.getTime() + 60_000);
  /** The turn after aggregate: the timer (id 6) created, the custom status set. */
  const waitingHistory = () => [
    ...aggregated(),
    ph.newOrchestratorStartedEvent(T0),
    ph.newTaskCompletedEvent(5, ok(discrepant)),
    ph.newTimerCreatedEvent(6, fireAt),
  ];

  it('a discrepancy: publishes awaiting_approval and races the event with a durable timer of approvalTimeoutMs', async () => {
    const result = await executor().execute(INSTANCE, aggregated(), [
      ph.newOrchestratorStartedEvent(T0),
      ph.newTaskCompletedEvent(5, ok(discrepant)),
    ]);
    expect(result.customStatus).toBe(AWAITING_APPROVAL);
    const timers = result.actions.filter((a) => a.hasCreatetimer());
    expect(timers.map((a) => a.getCreatetimer()!.getFireat()!.toDate().getTime())).toEqual([
      fireAt.getTime(),
    ]);
    expect(result.actions.some((a) => a.hasCompleteorchestration())).toBe(false);
  });

  it('the approval event wins: recordDecision gets the decision, and the custom status is cleared', async () => {
    const result = await executor().execute(INSTANCE, waitingHistory(), [
      ph.newOrchestratorStartedEvent(T0),
      ph.newEventRaisedEvent(APPROVAL_EVENT, JSON.stringify({ approved: true, note: 'ok' })),
    ]);
    expect(result.customStatus).toBe('');
    expect(scheduled(result.actions)).toEqual([
      {
        id: 7,
        name: 'recordDecision',
        input: {
          invoiceId: INSTANCE,
          invoiceKey: 'invoice.json',
          approval: { approved: true, note: 'ok', decidedBy: 'approver' },
        },
      },
    ]);
  });

  it('the timer wins: recordDecision records the timeout', async () => {
    const actions = await step(waitingHistory(), [
      ph.newOrchestratorStartedEvent(fireAt),
      ph.newTimerFiredEvent(6, fireAt),
    ]);
    expect(scheduled(actions)[0]!.input.approval).toEqual({
      approved: false,
      note: null,
      decidedBy: 'timeout',
    });
  });

  it('no discrepancy: no wait, no timer, the run completes', async () => {
    const actions = await step(aggregated(), [
      ph.newOrchestratorStartedEvent(T0),
      ph.newTaskCompletedEvent(5, ok({ ...discrepant, discrepancyCount: 0 })),
    ]);
    expect(actions.some((a) => a.hasCreatetimer())).toBe(false);
    expect(actions.some((a) => a.hasCompleteorchestration())).toBe(true);
  });

  it('deadlineMs: a durable timer is set at the start; when it fires before the work is done the run fails with deadline_exceeded', async () => {
    const limited: WorkflowInput = { ...input, deadlineMs: 10_000 };
    const started = [
      ph.newOrchestratorStartedEvent(T0),
      ph.newExecutionStartedEvent(WORKFLOW_NAME, INSTANCE, JSON.stringify(limited)),
    ];
    const first = await step([], started);
    const deadlineAt = new Date(T0.getTime() + 10_000);
    expect(
      first
        .find((a) => a.hasCreatetimer())!
        .getCreatetimer()!
        .getFireat()!
        .toDate(),
    ).toEqual(deadlineAt);
    expect(scheduled(first).map((a) => a.name)).toEqual(['split']);

    const actions = await step(
      [...started, ph.newTimerCreatedEvent(1, deadlineAt), ph.newTaskScheduledEvent(2, 'split')],
      [ph.newOrchestratorStartedEvent(deadlineAt), ph.newTimerFiredEvent(1, deadlineAt)],
    );
    const complete = actions.find((a) => a.hasCompleteorchestration())!.getCompleteorchestration()!;
    expect(complete.getFailuredetails()!.getErrormessage()).toBe(deadlineMessage(10_000));
  });
});
