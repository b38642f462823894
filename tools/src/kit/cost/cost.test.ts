import { describe, expect, it } from 'vitest';
import { DF_EVENT, durableFunctionsCounts, temporalActions, writesBetween } from './counts';
import { costSection, costTable, type InvoiceCounts, price, unitsPer1000 } from './units';

describe('temporalActions', () => {
  it('counts a workflow start, every activity attempt, timers and signals from history', () => {
    const events = [
      { workflowExecutionStartedEventAttributes: {} },
      { activityTaskScheduledEventAttributes: {} },
      { activityTaskStartedEventAttributes: { attempt: 1 } }, // split, first try
      { activityTaskStartedEventAttributes: { attempt: 3 } }, // an extract that needed 3 attempts
      { activityTaskStartedEventAttributes: { attempt: 1 } },
      { activityTaskCompletedEventAttributes: {} },
      { timerStartedEventAttributes: {} },
      { workflowExecutionSignaledEventAttributes: {} },
      { markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } },
      { markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } },
      { startChildWorkflowExecutionInitiatedEventAttributes: {} },
    ];
    expect(temporalActions(events)).toEqual({
      total: 1 + 5 + 1 + 1 + 1 + 2,
      byKind: {
        'workflow started': 1,
        'activity attempts': 5,
        'timer started': 1,
        signal: 1,
        'child workflow': 2,
        'local activities / markers (one per workflow task)': 1,
      },
    });
  });
});

describe('durableFunctionsCounts', () => {
  it('counts one replay per episode, not per completion, and one execution per activity attempt', () => {
    const ev = (EventType: number) => ({ kind: 'event', event: { EventType } });
    const lines = [
      ev(DF_EVENT.OrchestratorStarted), // episode 1: start, schedules split
      ev(DF_EVENT.OrchestratorStarted), // episode 2: split done, schedules 3 pages
      ev(DF_EVENT.TaskCompleted),
      ev(DF_EVENT.OrchestratorStarted), // episode 3: two page completions batched together
      ev(DF_EVENT.TaskCompleted),
      ev(DF_EVENT.TaskCompleted),
      ev(DF_EVENT.TaskFailed),
      ev(DF_EVENT.TimerCreated),
      ev(DF_EVENT.OrchestratorStarted), // episode 4: the retry timer fired
      { kind: 'message', event: { EventType: DF_EVENT.TaskCompleted } }, // not yet consumed
    ];
    expect(durableFunctionsCounts(lines)).toEqual({
      orchestratorReplays: 4,
      activityExecutions: 4,
      timers: 1,
      historyEvents: 9,
    });
  });
});

describe('units per 1,000 invoices', () => {
  const counts: InvoiceCounts[] = [
    {
      stack: 'temporal',
      pages: 10,
      temporal: {
        total: 13,
        byKind: { 'workflow started': 1, 'activity attempts': 12 },
        historyBytes: 12_000,
      },
      compute: { cpuMsPerInvoice: 685, memoryMiB: 1336, secondsPerInvoice: 0.25 },
    },
    {
      stack: 'azure-durable-functions',
      pages: 10,
      durableFunctions: { orchestratorReplays: 6, activityExecutions: 12, timers: 0, historyEvents: 40 },
    },
    { stack: 'custom-engine', pages: 10, stateStore: { store: 'SQLite', writes: 61 } },
  ];
  const lines = counts.flatMap(unitsPer1000);
  const get = (stack: string, unit: string) =>
    lines.find((l) => l.stack === stack && l.unit === unit)?.per1000;

  it("multiplies one invoice's counts by 1,000 in each engine's own unit", () => {
    expect(get('temporal', 'temporal.action')).toBe(13_000);
    expect(get('temporal', 'temporal.historyGBRetained')).toBe(0.012);
    expect(get('temporal', 'cpu.second')).toBe(685);
    expect(get('temporal', 'memory.gbSecond')).toBeCloseTo((1336 / 1024) * 0.25 * 1000, 3);
    // 6 replays + 12 activity executions + 1 HTTP start
    expect(get('azure-durable-functions', 'functions.execution')).toBe(19_000);
    expect(get('custom-engine', 'stateStore.write')).toBe(61_000);
    expect(get('custom-engine', 'cpu.second')).toBeUndefined();
  });

  it("turns units into money only with the prices given, per the price's own unit size", () => {
    const priced = price(lines, {
      currency: 'EUR',
      prices: {
        'temporal.action': { price: 2, per: 1_000_000 },
        'stateStore.write': { price: 1, per: 1000 },
      },
    });
    expect(priced.find((l) => l.unit === 'temporal.action')?.cost).toBeCloseTo(0.026, 6);
    expect(priced.find((l) => l.unit === 'stateStore.write')?.cost).toBe(61);
    const md = costTable(priced, { currency: 'EUR', prices: {} });
    expect(md).toContain('| cost (EUR) |');
    expect(md).toContain('no price given');
    expect(() => price(lines, { currency: 'EUR', prices: { 'cpu.second': { price: 1, per: 0 } } })).toThrow(
      /per/,
    );
  });

  it('renders a section that opens with the heading the decision table links to', () => {
    expect(costSection(counts).split('\n')[0]).toBe('## Cost per 1,000 invoices');
    expect(costSection(counts)).toContain('| temporal | 10 | Temporal Cloud Actions | 13000 |');
    expect(costSection([])).toContain('Not measured in this run.');
  });
});

describe('writesBetween', () => {
  it('is the per-table difference of two tallies', () => {
    expect(
      writesBetween({ 'a insert': 2, 'b update': 1 }, { 'a insert': 5, 'b update': 1, 'c delete': 2 }),
    ).toEqual({
      total: 5,
      byTable: { 'a insert': 3, 'c delete': 2 },
    });
  });
});
