import { type ServerType, serve } from '@hono/node-server';
import { type PostgresInstance, startPostgres } from '@invoice/tools/engines/postgres';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import type { WorkflowInput } from './definition';
import { EngineClient } from './engine';
import type { SqlStore } from './store';
import { expectNoDoubleClaims, postgresStores, type StoreFactory, sqliteStores, until } from './testing';
import { type StepHandler, Worker, type WorkerOptions } from './worker';

/**
 * The engine's promises (SPEC.md), each tested against SQLite and a real PostgreSQL. Time is a
 * FakeClock wherever timing is the point: retries, timeouts and lease expiry happen when the
 * test moves the clock, never by sleeping.
 */

let postgres: PostgresInstance;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  for (const f of factories) await f.cleanup();
});

const factories: StoreFactory[] = [sqliteStores(), postgresStores(() => postgres.url)];

describe.each(factories)('engine on $name', (factory) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(handlers: Record<string, StepHandler>, options: Partial<WorkerOptions> = {}) {
    const store: SqlStore = await factory.make();
    const clock = options.clock ?? new FakeClock();
    const client = new EngineClient(store, [...Object.keys(handlers), 'undo', 'noop'], clock);
    const workers: Worker[] = [];
    const startWorker = (extra: Partial<WorkerOptions> = {}) => {
      const w = new Worker({
        store,
        handlers,
        clock,
        random: () => 0.5,
        pollMs: 50,
        ...options,
        ...extra,
      }).start();
      workers.push(w);
      return w;
    };
    cleanups.push(async () => {
      for (const w of workers) await w.stop();
      await store.close();
    });
    return { store, clock: clock as FakeClock, client, startWorker };
  }

  const wait = async (client: EngineClient, id: string) => {
    const exec = await client.wait(id, 20_000, 10);
    return exec;
  };

  it('runs a DAG in dependency order, passing outputs through the context', async () => {
    const order: string[] = [];
    const { client, startWorker } = await setup({
      add: async ({ stepId, context, params }) => {
        order.push(stepId);
        const from = (params.from as string[] | undefined) ?? [];
        return {
          value: from.reduce(
            (n, k) => n + (context[k] as { value: number }).value,
            Number(context.seed ?? 0),
          ),
        };
      },
    });
    await client.register({
      id: 'dag',
      steps: [
        { id: 'a', action: 'add' },
        { id: 'b', action: 'add', dependencies: ['a'], params: { from: ['a'] } },
        { id: 'c', action: 'add', dependencies: ['a'], params: { from: ['a'] } },
        { id: 'd', action: 'add', dependencies: ['b', 'c'], params: { from: ['b', 'c'] } },
      ],
    } satisfies WorkflowInput);
    startWorker();
    const { execution } = await client.start({ workflowId: 'dag', input: { seed: 1 } });
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('completed');
    // seed 1: a=1, b=1+1=2, c=2, d=1+2+2=5
    expect(done?.output).toEqual({ value: 5 });
    expect(order[0]).toBe('a');
    expect(order[3]).toBe('d');
  });

  it('pins the definition version an execution started with', async () => {
    const seen: string[] = [];
    const { client, startWorker } = await setup({ v1: () => seen.push('v1'), v2: () => seen.push('v2') });
    const first = await client.register({ id: 'versioned', steps: [{ id: 's', action: 'v1' }] });
    const again = await client.register({ id: 'versioned', steps: [{ id: 's', action: 'v1' }] });
    expect([first.workflow.version, again.workflow.version, again.created]).toEqual([1, 1, false]);
    const { execution } = await client.start({ workflowId: 'versioned' });
    const second = await client.register({ id: 'versioned', steps: [{ id: 's', action: 'v2' }] });
    expect(second.workflow.version).toBe(2);
    startWorker();
    expect((await wait(client, execution.id))?.workflowVersion).toBe(1);
    expect(seen).toEqual(['v1']);
    const { execution: later } = await client.start({ workflowId: 'versioned' });
    await wait(client, later.id);
    expect(seen).toEqual(['v1', 'v2']);
  });

  it('fans a map out over an earlier array, each item its own durable attempt, within maxParallelism', async () => {
    let running = 0;
    let maxRunning = 0;
    const keys = new Set<string>();
    const { client, store, startWorker } = await setup({
      list: () => ({ pages: [10, 20, 30, 40, 50, 60, 70] }),
      double: async ({ item, idempotencyKey }) => {
        keys.add(idempotencyKey);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return (item as number) * 2;
      },
      sum: ({ context }) => (context.each as number[]).reduce((a, b) => a + b, 0),
    });
    await client.register({
      id: 'fan',
      steps: [
        { id: 'list', action: 'list' },
        {
          id: 'each',
          type: 'map',
          action: 'double',
          items: 'list.pages',
          maxParallelism: 3,
          dependencies: ['list'],
        },
        { id: 'sum', action: 'sum', dependencies: ['each'] },
      ],
    });
    startWorker();
    const { execution } = await client.start({ workflowId: 'fan' });
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('completed');
    expect(done?.output).toBe(560);
    expect(maxRunning).toBeLessThanOrEqual(3);
    expect(keys.size).toBe(7);
    const attempts = await store.attempts(execution.id);
    expect(
      attempts
        .filter((a) => a.stepKey.startsWith('each['))
        .map((a) => a.stepKey)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `each[${i}]`));
    const view = await store.getExecution(execution.id);
    expect(view?.steps.find((s) => s.stepKey === 'each')?.output).toEqual([20, 40, 60, 80, 100, 120, 140]);
  });

  it('maps over a one-element array and over an empty one', async () => {
    const { client, startWorker } = await setup({
      list: ({ context }) => ({ pages: context.pages }),
      id: ({ item }) => item,
      out: ({ context }) => context.each,
    });
    await client.register({
      id: 'fan-edge',
      steps: [
        { id: 'list', action: 'list' },
        { id: 'each', type: 'map', action: 'id', items: 'list.pages', dependencies: ['list'] },
        { id: 'out', action: 'out', dependencies: ['each'] },
      ],
    });
    startWorker();
    const one = await client.start({ workflowId: 'fan-edge', input: { pages: [{ n: 1 }] } });
    const none = await client.start({ workflowId: 'fan-edge', input: { pages: [] } });
    expect((await wait(client, one.execution.id))?.output).toEqual([{ n: 1 }]);
    expect((await wait(client, none.execution.id))?.output).toEqual([]);
  });

  it('retries with exponential backoff and jitter on the injected clock, same idempotency key each time', async () => {
    const calls: { at: number; key: string; attempt: number }[] = [];
    const { client, clock, startWorker } = await setup({
      flaky: ({ idempotencyKey, attempt }) => {
        calls.push({ at: clock.now(), key: idempotencyKey, attempt });
        if (attempt < 4) throw new Error(`boom ${attempt}`);
        return 'ok';
      },
    });
    await client.register({
      id: 'retry',
      steps: [
        {
          id: 's',
          action: 'flaky',
          retryPolicy: {
            maxAttempts: 5,
            initialDelay: 100,
            backoffMultiplier: 2,
            maxDelay: 300,
            jitter: 0.2,
          },
        },
      ],
    });
    startWorker({ random: () => 1 }); // jitter at its top: +20 %
    const { execution } = await client.start({ workflowId: 'retry' });
    const t0 = clock.now();
    // Expected delays: 100*1.2, 200*1.2, min(400,300)*1.2
    for (const [n, delay] of [
      [1, 120],
      [2, 240],
      [3, 360],
    ] as const) {
      await until(() => calls.length === n, 10_000, `attempt ${n}`);
      await until(
        async () => (await client.store.nextDueAt()) === clock.now() + delay,
        10_000,
        `retry ${n} scheduled`,
      );
      clock.advance(delay - 1);
      await new Promise((r) => setTimeout(r, 30));
      expect(calls.length).toBe(n); // not a millisecond early
      clock.advance(1);
    }
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('completed');
    expect(calls.map((c) => c.at - t0)).toEqual([0, 120, 360, 720]);
    expect(new Set(calls.map((c) => c.key))).toEqual(new Set([`${execution.id}:s`]));
  });

  it('fails the execution when retries run out, and does not retry non-retryable errors', async () => {
    const { client, store, clock, startWorker } = await setup({
      always: () => {
        throw new Error('still broken');
      },
      fatal: () => {
        throw Object.assign(new Error('bad request'), { retryable: false });
      },
    });
    const policy = { maxAttempts: 2, initialDelay: 10, backoffMultiplier: 1, maxDelay: 10 };
    await client.register({ id: 'exhaust', steps: [{ id: 's', action: 'always', retryPolicy: policy }] });
    await client.register({ id: 'fatal', steps: [{ id: 's', action: 'fatal', retryPolicy: policy }] });
    startWorker();
    const a = await client.start({ workflowId: 'exhaust' });
    const b = await client.start({ workflowId: 'fatal' });
    await until(async () => (await store.attempts(a.execution.id))[0]?.outcome === 'retry');
    clock.advance(10);
    const failed = await wait(client, a.execution.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toContain('still broken');
    expect((await store.attempts(a.execution.id)).length).toBe(2);
    expect((await wait(client, b.execution.id))?.status).toBe('failed');
    expect((await store.attempts(b.execution.id)).length).toBe(1);
  });

  it('times out a hanging attempt on the clock and retries it', async () => {
    const started: number[] = [];
    const { client, store, clock, startWorker } = await setup({
      hang: ({ attempt, signal }) => {
        started.push(attempt);
        return attempt === 1
          ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
          : 'second time lucky';
      },
    });
    await client.register({
      id: 'timeout',
      steps: [
        {
          id: 's',
          action: 'hang',
          timeout: 5_000,
          retryPolicy: { maxAttempts: 2, initialDelay: 0, backoffMultiplier: 1, maxDelay: 0 },
        },
      ],
    });
    startWorker({ leaseMs: 60_000 });
    const { execution } = await client.start({ workflowId: 'timeout' });
    await until(() => started.length === 1); // the handler runs, so its timeout timer is set
    clock.advance(5_000);
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('completed');
    const attempts = await store.attempts(execution.id);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'success']);
  });

  it("re-claims an attempt whose lease expired (dead worker) and fences the dead worker's late result", async () => {
    const { client, store, clock, startWorker } = await setup({ work: () => 'done by the live worker' });
    await client.register({ id: 'lease', steps: [{ id: 's', action: 'work' }] });
    const { execution } = await client.start({ workflowId: 'lease' });
    // A worker claims the step and dies: no heartbeat, no result.
    const [dead] = await store.claimSteps('dead-worker', 1, clock.now(), 1_000);
    expect(dead?.stepKey).toBe('s');
    startWorker({ leaseMs: 1_000 });
    await new Promise((r) => setTimeout(r, 30));
    expect((await store.attempts(execution.id)).length).toBe(1); // lease still held
    clock.advance(1_000);
    expect((await wait(client, execution.id))?.output).toBe('done by the live worker');
    const late = await store.finishStep(dead!, { kind: 'success', output: 'zombie' }, clock.now());
    expect(late).toBe(false);
    expect((await store.getExecutionRecord(execution.id))?.output).toBe('done by the live worker');
    const attempts = await store.attempts(execution.id);
    expect(attempts.map((a) => [a.workerId === 'dead-worker', a.attempt, a.outcome])).toEqual([
      [true, 1, 'lease-expired'],
      [false, 2, 'success'],
    ]);
  });

  it('fails a step whose workers all died (poison pill) instead of running it again', async () => {
    let runs = 0;
    const { client, store, clock, startWorker } = await setup({ work: () => ++runs });
    await client.register({ id: 'poison', steps: [{ id: 's', action: 'work' }] });
    const { execution } = await client.start({ workflowId: 'poison' });
    // Three workers claim the step in turn and die: no heartbeat, no result.
    for (let i = 0; i < 3; i++) {
      await store.claimSteps(`dead-${i}`, 1, clock.now(), 1_000);
      clock.advance(1_000);
    }
    startWorker({ leaseMs: 1_000 });
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('failed');
    expect(done?.error).toMatch(
      /^.*worker_lost: work lost its worker \(lease expired\) on each of its 3 attempts/,
    );
    expect(runs).toBe(0);
  });

  it('keeps a long attempt alive with heartbeats, so nobody else claims it', async () => {
    let release: (() => void) | undefined;
    const { client, store, clock, startWorker } = await setup({
      slow: () => new Promise<string>((r) => (release = () => r('finished'))),
    });
    await client.register({ id: 'heartbeat', steps: [{ id: 's', action: 'slow' }] });
    const { execution } = await client.start({ workflowId: 'heartbeat' });
    startWorker({ leaseMs: 1_000, heartbeatMs: 300, workerId: 'one' });
    startWorker({ leaseMs: 1_000, heartbeatMs: 300, workerId: 'two' });
    await until(() => release !== undefined); // running, so its heartbeat timer is set
    const leaseEnd = async () => (await store.getExecution(execution.id))?.steps[0]?.dueAt;
    for (let i = 0; i < 10; i++) {
      clock.advance(300); // 3 s in all, three lease lengths
      // Each heartbeat pushes the lease to now + 1 s before time moves on.
      await until(async () => (await leaseEnd()) === clock.now() + 1_000, 10_000, `heartbeat ${i + 1}`);
    }
    release?.();
    expect((await wait(client, execution.id))?.status).toBe('completed');
    expect((await store.attempts(execution.id)).length).toBe(1);
  });

  it('compensates completed steps in reverse order and ends compensated', async () => {
    const undone: string[] = [];
    const { client, store, startWorker } = await setup({
      reserve: ({ stepId }) => ({ reservation: stepId }),
      fail: () => {
        throw new Error('payment declined');
      },
      undo: ({ stepId, item }) => {
        undone.push(`${stepId}:${(item as { reservation: string }).reservation}`);
      },
    });
    await client.register({
      id: 'saga',
      steps: [
        { id: 'a', action: 'reserve', compensate: 'undo' },
        { id: 'b', action: 'reserve', compensate: 'undo', dependencies: ['a'] },
        { id: 'n', action: 'reserve', dependencies: ['b'] }, // nothing to undo
        { id: 'c', action: 'reserve', compensate: 'undo', dependencies: ['n'] },
        { id: 'pay', action: 'fail', dependencies: ['c'] },
        { id: 'ship', action: 'reserve', dependencies: ['pay'] },
      ],
    });
    startWorker();
    const { execution } = await client.start({ workflowId: 'saga' });
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('compensated');
    expect(done?.error).toContain('payment declined');
    expect(undone).toEqual(['c:c', 'b:b', 'a:a']);
    const steps = (await store.getExecution(execution.id))?.steps ?? [];
    expect(steps.find((s) => s.stepKey === 'ship')?.status).toBe('cancelled');
  });

  it('cancels a running execution: in-flight work is aborted and nothing downstream runs', async () => {
    const ran: string[] = [];
    const { client, store, startWorker } = await setup({
      wait: ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted by cancel'))),
        ),
      after: () => ran.push('after'),
    });
    await client.register({
      id: 'cancel',
      steps: [
        { id: 'w', action: 'wait' },
        { id: 'x', action: 'after', dependencies: ['w'] },
      ],
    });
    startWorker({ leaseMs: 200, heartbeatMs: 50 });
    const { execution } = await client.start({ workflowId: 'cancel' });
    await until(async () => (await store.attempts(execution.id)).length === 1);
    const cancelled = await client.cancel(execution.id);
    expect(cancelled?.status).toBe('cancelled');
    // The worker notices at its next heartbeat (lease gone) and aborts the handler.
    const { clock } = { clock: client.clock as FakeClock };
    await until(async () => {
      clock.advance(50);
      const a = await store.attempts(execution.id);
      return a[0]?.outcome === 'stale';
    });
    const view = await store.getExecution(execution.id);
    expect(view?.execution.status).toBe('cancelled');
    expect(view?.steps.map((s) => [s.stepKey, s.status])).toEqual([
      ['w', 'cancelled'],
      ['x', 'cancelled'],
    ]);
    expect(ran).toEqual([]);
    expect((await client.cancel(execution.id))?.status).toBe('cancelled');
  });

  it('runs the built-ins: condition (JavaScript) + when, transform (JSONata), delay as a durable timer', async () => {
    const { client, clock, store, startWorker } = await setup({ noop: () => 'ran' });
    await client.register({
      id: 'builtins',
      steps: [
        { id: 'big', action: 'condition', params: { expression: 'context.amount > 100' } },
        { id: 'total', action: 'transform', params: { expression: '$sum(items.(qty * price))' } },
        { id: 'pause', action: 'delay', params: { duration: 60_000 }, dependencies: ['big'] },
        { id: 'review', action: 'noop', when: 'big.result', dependencies: ['pause'] },
        { id: 'fast', action: 'noop', when: '$not(big.result)', dependencies: ['big'] },
      ],
    });
    startWorker();
    const { execution } = await client.start({
      workflowId: 'builtins',
      input: {
        amount: 150,
        items: [
          { qty: 2, price: 5 },
          { qty: 1, price: 7 },
        ],
      },
    });
    await until(
      async () =>
        (await store.getExecution(execution.id))?.steps.find((s) => s.stepKey === 'fast')?.status ===
        'skipped',
    );
    await new Promise((r) => setTimeout(r, 30));
    expect((await store.getExecutionRecord(execution.id))?.status).toBe('running'); // the delay holds
    clock.advance(60_000);
    const done = await wait(client, execution.id);
    expect(done?.status).toBe('completed');
    const view = await store.getExecution(execution.id);
    const out = Object.fromEntries((view?.steps ?? []).map((s) => [s.stepKey, [s.status, s.output]]));
    expect(out.big).toEqual(['success', { result: true }]);
    expect(out.total).toEqual(['success', 17]);
    expect(out.review).toEqual(['success', 'ran']);
    expect(out.fast?.[0]).toBe('skipped');
  });

  it('an event step suspends the execution holding no lease; the delivered event (stored on its row) resumes it, else its durable timer does', async () => {
    const { client, clock, store, startWorker } = await setup({ noop: () => 'ran' });
    await client.register({
      id: 'approve',
      steps: [
        { id: 'first', action: 'noop' },
        {
          id: 'decision',
          action: 'event',
          dependencies: ['first'],
          params: { name: 'approval', timeout: '{{context.waitMs}}' },
        },
        { id: 'after', action: 'noop', dependencies: ['decision'] },
      ],
      output: '{"decision": decision, "after": after}',
    });
    startWorker();
    const suspended = async (id: string) => {
      const view = await store.getExecution(id);
      const row = view?.steps.find((s) => s.stepKey === 'decision');
      return view?.execution.status === 'suspended' && row?.status === 'suspended' && row;
    };
    const sent = await client.start({ workflowId: 'approve', input: { waitMs: 60_000 } });
    const row = await until(() => suspended(sent.execution.id), 10_000, 'suspension');
    // No worker holds the wait: no lease, and the row is due only when its timer fires.
    expect(row && [row.leaseOwner, row.dueAt]).toEqual([undefined, clock.now() + 60_000]);
    expect(await client.sendEvent(sent.execution.id, 'other', {})).toEqual({
      delivered: false,
      reason: 'not_waiting',
    });
    expect(await client.sendEvent(sent.execution.id, 'approval', { approved: true })).toEqual({
      delivered: true,
      stepId: 'decision',
    });
    const done = await wait(client, sent.execution.id);
    expect(done?.status).toBe('completed');
    expect(done?.output).toEqual({
      decision: { event: 'approval', payload: { approved: true }, timedOut: false },
      after: 'ran',
    });
    expect((await client.sendEvent(sent.execution.id, 'approval', {})).delivered).toBe(false);

    const timed = await client.start({ workflowId: 'approve', input: { waitMs: 60_000 } });
    await until(() => suspended(timed.execution.id), 10_000, 'second suspension');
    clock.advance(60_000);
    const late = await wait(client, timed.execution.id);
    expect(late?.status).toBe('completed');
    expect(late?.output).toMatchObject({
      decision: {
        event: 'approval',
        payload: null,
        timedOut: true,
      },
    });
    const attempts = (await store.attempts(timed.execution.id)).filter((a) => a.stepKey === 'decision');
    expect(attempts.map((a) => a.outcome)).toEqual(['suspended', 'success']);
  });

  it('a deadline fails the execution with deadline_exceeded and aborts what runs; met, it never fires', async () => {
    const aborted: string[] = [];
    const { client, clock, store, startWorker } = await setup({
      hang: ({ signal, stepKey }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted.push(stepKey);
            reject(new Error('aborted'));
          }),
        ),
      noop: () => 'ran',
    });
    await client.register({
      id: 'deadline',
      steps: [
        { id: 'slow', action: 'hang', when: 'slow' },
        { id: 'then', action: 'noop', dependencies: ['slow'] },
      ],
      deadline: { after: '{{context.ms}}', until: ['slow'] },
    });
    startWorker();
    const late = await client.start({ workflowId: 'deadline', input: { slow: true, ms: 5_000 } });
    await until(async () => (await store.attempts(late.execution.id)).length === 1);
    clock.advance(5_000);
    const failed = await wait(client, late.execution.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toBe('deadline_exceeded: the execution was not done within 5000 ms of its start');
    await until(() => aborted.includes('slow'), 10_000, 'the handler aborted');
    const steps = (await store.getExecution(late.execution.id))?.steps ?? [];
    expect(steps.map((s) => [s.stepKey, s.status]).sort()).toEqual([
      ['@deadline', 'failed'],
      ['slow', 'cancelled'],
      ['then', 'cancelled'],
    ]);

    const met = await client.start({ workflowId: 'deadline', input: { slow: false, ms: 5_000 } });
    expect((await wait(client, met.execution.id))?.status).toBe('completed');
    const rows = (await store.getExecution(met.execution.id))?.steps ?? [];
    expect(rows.find((s) => s.stepKey === '@deadline')?.status).toBe('success');
    // Without the input the placeholder names, there is no deadline row at all.
    const none = await client.start({ workflowId: 'deadline', input: { slow: false } });
    expect((await wait(client, none.execution.id))?.status).toBe('completed');
    expect((await store.getExecution(none.execution.id))?.steps.map((s) => s.stepKey)).not.toContain(
      '@deadline',
    );
  });

  it('delivers webhooks from the outbox at least once, retrying until the receiver accepts', async () => {
    const received: { body: Record<string, unknown>; key: string | null; status: number }[] = [];
    let failuresLeft = 2;
    const app = new Hono().post('/hook', async (c) => {
      const body = await c.req.json();
      const status = body.event === 'execution.completed' && failuresLeft-- > 0 ? 503 : 200;
      received.push({ body, key: c.req.header('idempotency-key') ?? null, status });
      return c.json({}, status);
    });
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    cleanups.push(async () => void (await new Promise((r) => server.close(r))));
    const port = (server.address() as { port: number }).port;
    const hook = `http://127.0.0.1:${port}/hook`;
    const { client, store, clock, startWorker } = await setup({ noop: () => 1 });
    await client.register({
      id: 'hooks',
      steps: [
        { id: 'a', action: 'noop' },
        { id: 'b', action: 'noop', dependencies: ['a'] },
      ],
      webhooks: { onStep: hook, onComplete: hook, onFailure: hook },
    });
    startWorker({
      outboxRetry: { maxAttempts: 10, initialDelay: 1_000, backoffMultiplier: 2, maxDelay: 10_000 },
    });
    const { execution } = await client.start({ workflowId: 'hooks' });
    await wait(client, execution.id);
    const completedRow = async (attempts: number) =>
      (await store.outbox(execution.id)).some(
        (m) =>
          m.event === 'execution.completed' &&
          m.attempts === attempts &&
          m.status === 'pending' &&
          !m.leased && // the failed delivery is recorded, not merely claimed
          m.lastError,
      );
    await until(() => completedRow(1), 10_000, 'first delivery failed');
    clock.advance(1_000);
    await until(() => completedRow(2), 10_000, 'second delivery failed');
    clock.advance(2_000);
    await until(async () => (await store.outbox(execution.id)).every((m) => m.status === 'delivered'));
    const completed = received.filter((r) => r.body.event === 'execution.completed');
    expect(completed.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(completed.map((r) => r.key)).size).toBe(1);
    expect(completed[2]?.body).toMatchObject({ executionId: execution.id, status: 'completed', output: 1 });
    expect(received.filter((r) => r.body.event === 'step.completed').map((r) => r.body.stepId)).toEqual([
      'a',
      'b',
    ]);
  });

  it('http.request and webhook built-ins: JSON in and out, 5xx retried, 4xx not, idempotency key sent', async () => {
    const seen: { path: string; key: string | null; body: unknown }[] = [];
    let flaky = 1;
    const app = new Hono()
      .post('/price', async (c) => {
        seen.push({ path: '/price', key: c.req.header('idempotency-key') ?? null, body: await c.req.json() });
        return flaky-- > 0 ? c.text('busy', 503) : c.json({ price: 42 });
      })
      .post('/notify', async (c) => {
        seen.push({
          path: '/notify',
          key: c.req.header('idempotency-key') ?? null,
          body: await c.req.json(),
        });
        return c.json({ ok: true });
      })
      .get('/missing', (c) => c.text('no', 404));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    cleanups.push(async () => void (await new Promise((r) => server.close(r))));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { client, store, startWorker } = await setup({});
    const retry = { maxAttempts: 3, initialDelay: 0, backoffMultiplier: 1, maxDelay: 0 };
    await client.register({
      id: 'http',
      steps: [
        {
          id: 'price',
          action: 'http.request',
          params: { url: `${base}/price`, method: 'POST', body: { sku: 'a' } },
          retryPolicy: retry,
        },
        {
          id: 'tell',
          action: 'webhook',
          params: { url: `${base}/notify`, payload: { event: 'priced' } },
          dependencies: ['price'],
        },
      ],
    });
    await client.register({
      id: 'http-404',
      steps: [{ id: 'get', action: 'http.request', params: { url: `${base}/missing` }, retryPolicy: retry }],
    });
    startWorker();
    const ok = await client.start({ workflowId: 'http' });
    const done = await wait(client, ok.execution.id);
    expect(done?.status).toBe('completed');
    const price = (await store.getExecution(ok.execution.id))?.steps.find((s) => s.stepKey === 'price');
    // The result is the response body; the status sits beside it.
    expect(price?.output).toEqual({ price: 42 });
    expect(price?.meta).toMatchObject({ response: { status: 200 } });
    expect(seen.filter((r) => r.path === '/price').map((r) => r.key)).toEqual([
      `${ok.execution.id}:price`,
      `${ok.execution.id}:price`,
    ]);
    expect(seen.find((r) => r.path === '/notify')?.body).toEqual({
      executionId: ok.execution.id,
      stepId: 'tell',
      payload: { event: 'priced' },
    });
    const missing = await client.start({ workflowId: 'http-404' });
    const failed = await wait(client, missing.execution.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toContain('answered 404');
    expect((await store.attempts(missing.execution.id)).length).toBe(1);
  });

  it('shares work between workers without ever claiming one step twice at once', async () => {
    const { client, store, startWorker } = await setup({
      list: () => Array.from({ length: 40 }, (_, i) => i),
      work: async ({ item }) => {
        await new Promise((r) => setTimeout(r, 2));
        return item;
      },
    });
    await client.register({
      id: 'shared',
      steps: [
        { id: 'list', action: 'list' },
        { id: 'each', type: 'map', action: 'work', items: 'list', dependencies: ['list'] },
      ],
    });
    for (let i = 0; i < 3; i++) startWorker({ workerId: `w${i}`, concurrency: 8 });
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await client.start({ workflowId: 'shared' })).execution.id),
    );
    for (const id of ids) expect((await wait(client, id))?.status).toBe('completed');
    const attempts = (await Promise.all(ids.map((id) => store.attempts(id)))).flat();
    expectNoDoubleClaims(attempts);
    // per execution: list, the map's expansion, 40 items
    expect(attempts.length).toBe(3 * 42);
  });
});
