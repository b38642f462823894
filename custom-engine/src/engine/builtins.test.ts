import { afterAll, describe, expect, it } from 'vitest';
import { type Clock, FakeClock, systemClock } from './clock';
import { EngineClient } from './engine';
import { PlaceholderError, resolveHeaders, resolveUrl, resolveValue } from './placeholders';
import type { SqlStore } from './store';
import { sqliteStores, until } from './testing';
import { executionView } from './views';
import { type StepHandler, Worker } from './worker';

/**
 * The built-ins as the API doc describes them: sandboxed JavaScript transforms, conditions over
 * `context` that close their branch when false, placeholders in HTTP steps, and step status that
 * tells the truth (retrying, live durations, no stale errors). SQLite; the doc conformance test
 * (test/doc-conformance.test.ts) runs the doc's examples on both stores.
 */

const stores = sqliteStores();
const open: { store: SqlStore; workers: Worker[] }[] = [];
afterAll(async () => {
  for (const o of open) {
    for (const w of o.workers) await w.stop();
    await o.store.close();
  }
  await stores.cleanup();
});

async function setup(handlers: Record<string, StepHandler> = {}, clock: Clock = new FakeClock()) {
  const store = await stores.make();
  const client = new EngineClient(store, Object.keys(handlers), clock);
  const hooks: Record<string, unknown>[] = [];
  // The outbox dispatcher's fetch: records webhook messages instead of sending them.
  const fetch = (async (_url: string, init: RequestInit) => {
    hooks.push(JSON.parse(String(init.body)));
    return new Response('{}');
  }) as typeof globalThis.fetch;
  const worker = new Worker({ store, handlers, clock, random: () => 0.5, pollMs: 20, fetch }).start();
  open.push({ store, workers: [worker] });
  const view = async (id: string) => {
    const found = await store.getExecution(id);
    const def = (await store.getWorkflow(found!.execution.workflowId))!.definition;
    return executionView(found!.execution, found!.steps, def, clock.now(), await store.attempts(id));
  };
  return { store, client, clock, worker, hooks, view };
}

describe('transform code runs in the QuickJS sandbox', () => {
  it('fails each hostile script with its own error while the worker keeps serving other executions', {
    timeout: 60_000,
  }, async () => {
    // Real time: the test compares when executions ended.
    const { client, view } = await setup({}, systemClock);
    const scripts = {
      runaway: 'while (true) {}',
      hog: "let s = 'x'; while (true) s = s.repeat(2);",
      process: 'return process.env',
      require: "return require('node:fs').readFileSync('/etc/passwd', 'utf8')",
      thrower: "throw new Error('bad input')",
      healthy: 'return input.map(item => ({ ...item, processed: true }))',
    };
    for (const [id, code] of Object.entries(scripts))
      await client.register({
        id,
        steps: [
          { id: 'run', action: 'transform', params: { inputKey: 'items', code } },
          { id: 'after', dependencies: ['run'] },
        ],
      });
    const started = await Promise.all(
      Object.keys(scripts).map((id) => client.start({ workflowId: id, input: { items: [{ n: 1 }] } })),
    );
    const ends = await Promise.all(started.map((s) => client.wait(s.execution.id, 30_000)));
    const byWorkflow = Object.fromEntries(ends.map((e) => [e?.workflowId, e]));
    const errorOf = async (workflowId: string) => {
      const v = await view(byWorkflow[workflowId]!.id);
      return [byWorkflow[workflowId]?.status, v.stepResults.run?.error, v.stepResults.run?.attempts];
    };
    expect(await errorOf('runaway')).toEqual(['failed', 'script ran longer than its 1000 ms limit', 1]);
    expect(await errorOf('hog')).toEqual(['failed', 'script exceeded its 16777216 byte memory limit', 1]);
    expect(await errorOf('process')).toEqual([
      'failed',
      "script threw ReferenceError: 'process' is not defined",
      1,
    ]);
    expect(await errorOf('require')).toEqual([
      'failed',
      "script threw ReferenceError: 'require' is not defined",
      1,
    ]);
    expect(await errorOf('thrower')).toEqual(['failed', 'script threw Error: bad input', 1]);
    expect(byWorkflow.healthy?.status).toBe('completed');
    expect((await view(byWorkflow.healthy!.id)).stepResults.run?.result).toEqual([{ n: 1, processed: true }]);
    // And the same worker serves the next execution, even while a runaway script runs: scripts run
    // on the sandbox's own thread, never on the worker's event loop.
    await client.register({ id: 'plain', steps: [{ id: 'a' }, { id: 'b', dependencies: ['a'] }] });
    const runaway = await client.start({ workflowId: 'runaway', input: { items: [] } });
    const plain = await client.start({ workflowId: 'plain' });
    const plainEnd = await client.wait(plain.execution.id, 10_000);
    const runawayEnd = await client.wait(runaway.execution.id, 10_000);
    expect(plainEnd?.status).toBe('completed');
    expect(runawayEnd?.status).toBe('failed');
    expect(plainEnd!.finishedAt!).toBeLessThan(runawayEnd!.finishedAt!);
    const next = await client.start({ workflowId: 'healthy', input: { items: [{ n: 2 }] } });
    expect((await client.wait(next.execution.id, 10_000))?.status).toBe('completed');
  });
});

describe('condition', () => {
  it('sees context and step results; false skips its dependents and theirs; a missing reference fails the step', async () => {
    const { client, view, hooks } = await setup({ price: () => ({ result: 150 }) });
    await client.register({
      id: 'branch',
      steps: [
        { id: 'previousStep', action: 'price' },
        { id: 'big', action: 'condition', params: { expression: 'context.amount > 100' } },
        {
          id: 'pricey',
          action: 'condition',
          params: { expression: 'context.previousStep.result > 100' },
          dependencies: ['previousStep'],
        },
        { id: 'review', dependencies: ['big'] },
        { id: 'archive', dependencies: ['review'] },
        { id: 'always', dependencies: ['pricey'] },
      ],
      webhooks: { onStep: 'http://hooks.invalid/step' },
    });
    const big = await client.start({ workflowId: 'branch', input: { amount: 150 } });
    const small = await client.start({ workflowId: 'branch', input: { amount: 50 } });
    expect((await client.wait(big.execution.id, 10_000))?.status).toBe('completed');
    expect((await client.wait(small.execution.id, 10_000))?.status).toBe('completed');
    const b = await view(big.execution.id);
    expect(b.stepResults.big?.result).toEqual({ result: true });
    expect(b.stepResults.pricey?.result).toEqual({ result: true });
    expect(b.stepResults.archive?.status).toBe('success');
    const s = await view(small.execution.id);
    expect(s.stepResults.big?.result).toEqual({ result: false });
    expect([s.stepResults.review?.status, s.stepResults.review?.skippedBy]).toEqual(['skipped', 'big']);
    expect([s.stepResults.archive?.status, s.stepResults.archive?.skippedBy]).toEqual(['skipped', 'big']);
    expect(s.stepResults.always?.status).toBe('success');
    expect(s.skippedSteps).toEqual(['review', 'archive']);
    // onStep fires for skipped steps too, with the status.
    await until(() => hooks.filter((h) => h.executionId === small.execution.id).length === 6);
    expect(
      hooks
        .filter((h) => h.executionId === small.execution.id && h.status === 'skipped')
        .map((h) => [h.stepId, h.skippedBy]),
    ).toEqual([
      ['review', 'big'],
      ['archive', 'big'],
    ]);

    await client.register({
      id: 'typo',
      steps: [{ id: 'c', action: 'condition', params: { expression: 'context.previousStep.result > 100' } }],
      webhooks: { onStep: 'http://hooks.invalid/step' },
    });
    const typo = await client.start({ workflowId: 'typo', input: { amount: 1 } });
    expect((await client.wait(typo.execution.id, 10_000))?.status).toBe('failed');
    expect((await view(typo.execution.id)).stepResults.c?.error).toBe(
      'script threw ReferenceError: context.previousStep does not exist',
    );
    await until(() => hooks.some((h) => h.executionId === typo.execution.id && h.status === 'failed'));
  });
});

describe('step status', () => {
  it('shows retrying with nextAttemptAt, drops the old error on success, and measures durations from the first attempt', async () => {
    let calls = 0;
    const clock = new FakeClock();
    const { client, view } = await setup(
      {
        flaky: () => {
          calls += 1;
          clock.advance(7); // the attempt itself takes 7 ms on the clock
          if (calls === 1) throw new Error('first attempt fails');
          return { ok: true };
        },
      },
      clock,
    );
    await client.register({
      id: 'status',
      steps: [
        {
          id: 's',
          action: 'flaky',
          retryPolicy: { maxAttempts: 2, initialDelay: 1000, backoffMultiplier: 2, maxDelay: 1000 },
        },
        { id: 'pause', action: 'delay', params: { duration: 5000 }, dependencies: ['s'] },
      ],
    });
    const t0 = clock.now();
    const { execution } = await client.start({ workflowId: 'status' });
    // The fake clock stands still between these reads, so the state waited for is the state read.
    await until(async () => (await view(execution.id)).stepResults.s?.status === 'retrying');
    const waiting = await view(execution.id);
    expect(waiting.stepResults.s).toMatchObject({
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: t0 + 7 + 1000,
      error: 'first attempt fails',
      duration: 7,
    });
    expect(waiting.currentSteps).toEqual(['s']);
    clock.advance(1000);
    await until(async () => (await view(execution.id)).stepResults.pause?.status === 'running');
    const timer = await view(execution.id);
    expect(timer.stepResults.s?.error).toBeUndefined();
    expect(timer.stepResults.s).toMatchObject({ status: 'success', attempts: 2, duration: 1014 });
    expect(timer.stepResults.s?.attemptHistory?.map((a) => [a.attempt, a.outcome, a.error])).toEqual([
      [1, 'retry', 'first attempt fails'],
      [2, 'success', undefined],
    ]);
    clock.advance(2000);
    expect((await view(execution.id)).stepResults.pause?.duration).toBe(2000); // live
    clock.advance(3000);
    await client.wait(execution.id, 10_000);
    expect((await view(execution.id)).stepResults.pause).toMatchObject({ status: 'success', duration: 5000 });
  });
});

describe('placeholders in HTTP steps', () => {
  const state = {
    context: { orderId: 'o 1', amount: 150, charge: { id: 'ch_1' } },
    results: { charge: { id: 'ch_1', lines: [1, 2] } },
  };
  it('resolves context and step results: whole-string values keep their type, text is inserted, URLs encoded', () => {
    expect(resolveUrl('http://x/orders/{{context.orderId}}', state)).toBe('http://x/orders/o%201');
    expect(resolveHeaders({ 'x-charge': '{{ steps.charge.result.id }}' }, state)).toEqual({
      'x-charge': 'ch_1',
    });
    expect(
      resolveValue(
        {
          amount: '{{context.amount}}',
          note: 'charge {{steps.charge.result.id}} of {{context.amount}}',
          lines: '{{steps.charge.result.lines}}',
        },
        state,
      ),
    ).toEqual({ amount: 150, note: 'charge ch_1 of 150', lines: [1, 2] });
  });
  it('refuses references to what does not exist', () => {
    expect(() => resolveValue('{{context.missing}}', state)).toThrow(PlaceholderError);
    expect(() => resolveUrl('http://x/{{steps.nope.result}}', state)).toThrow("step 'nope' has no result");
    expect(() => resolveValue('{{steps.charge.output}}', state)).toThrow('write steps.<id>.result');
    expect(() => resolveValue('{{orderId}}', state)).toThrow('starts with context. or steps.');
  });
});
