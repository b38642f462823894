/**
 * The API document the engine was built from (summarised in docs/DESIGN.md), run as
 * written against the running engine on SQLite and on PostgreSQL: the engine's HTTP API served
 * on a local port and a worker, the same code api-main.ts and worker-main.ts run (in this test
 * process: starting the launcher's processes would triple the file's time), over a SQLite file
 * and a real PostgreSQL started once for the file. Its examples are copied into
 * test/doc-examples/ (README there says which section each comes from), its curl commands run
 * with bash and curl, and local HTTP servers stand in for its example hosts.
 *
 * What the test itself adapts is named HARNESS_*; where the engine deliberately differs from the
 * document the test names it DIFFERS_* (custom-engine/README.md, "Differences from the API
 * document", lists each).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type PostgresInstance, startPostgres } from '@invoice/tools/engines/postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engineApi } from '../src/engine/api';
import { type RetryPolicy, retryDelay } from '../src/engine/definition';
import { EngineClient } from '../src/engine/engine';
import type { SqlStore } from '../src/engine/store';
import { postgresStores, sqliteStores } from '../src/engine/testing';
import type { executionView } from '../src/engine/views';
import { Worker } from '../src/engine/worker';
import {
  dataOf,
  gate,
  isDone,
  pollExecution,
  readExample,
  readJsonExample,
  rewriteOrigins,
  runScript,
  type StandIns,
  startStandIns,
} from './doc-runner';

/** The harness's own adaptations (not engine behaviour). */
const HARNESS = {
  ORIGINS: 'HARNESS_ORIGINS: localhost:3000 -> the running engine, example hosts -> local stand-ins',
  EXAMPLE_ID: 'HARNESS_EXAMPLE_ID: exec-abc-123 in a curl URL -> the id the start returned',
  WATCH: 'HARNESS_WATCH: `watch -n 1 CMD` -> CMD once a second until a terminal status',
  SHORT_RETRY:
    'HARNESS_SHORT_RETRY: the Retry Policies delays scaled from 1 s to 20 ms (the schedule itself is checked on the formula)',
  SHORT_DELAY: 'HARNESS_SHORT_DELAY: the delay snippet waits 300 ms instead of 5000 ms',
};
/** Where the engine deliberately differs from the document (README lists each). */
const DIFFERS = {
  EXTRA_FIELDS: 'DIFFERS_EXTRA_FIELDS: responses carry more fields than the doc shows',
  RETRYING: 'DIFFERS_RETRYING: a step between attempts is "retrying" with nextAttemptAt',
  NON_RETRYABLE_4XX:
    'DIFFERS_NON_RETRYABLE_4XX: a 4xx answer (except 408/429) fails the step without retrying',
  CANCELLED_DEPENDENTS: 'DIFFERS_CANCELLED_DEPENDENTS: steps a failure prevents end "cancelled"',
  DEFAULT_BODY:
    "DIFFERS_DEFAULT_BODY: a POST/PUT/PATCH without body sends the input plus its dependencies' results",
  CUSTOM_EXECUTORS:
    'DIFFERS_CUSTOM_EXECUTORS: custom executors are worker handlers registered in code, not over HTTP',
  CONDITION_SKIPS: 'DIFFERS_CONDITION_SKIPS: dependents of a false condition are "skipped"',
  NOOP_DEFAULT: 'DIFFERS_NOOP_DEFAULT: a step without action is a no-op',
};

/** What each stand-in host answers unless a test scripts it otherwise. */
const DEFAULTS: Record<string, unknown> = {
  'validation-service/validate': { valid: true },
  'payment-service/charge': { charged: true, chargeId: 'ch_1' },
  'fulfillment-service/fulfill': { fulfilled: true },
  'notifications/order-complete': {},
  'notifications/order-failed': {},
  'notifications/email': { sent: true },
  'source-system/data': {
    users: [
      { id: 1, name: 'Ada', email: 'ada@example.com' },
      { id: 2, name: 'Linus', email: 'linus@example.com' },
    ],
    orders: [
      { id: 10, status: 'active' },
      { id: 11, status: 'cancelled' },
      { id: 12, status: 'active' },
    ],
  },
  'source-system/items': [{ sku: 'a' }, { sku: 'b' }],
  'target-system/load': { loaded: true },
  'validation/validate': { valid: true },
  'inventory/check': { inStock: true },
  'payment/charge': { charged: true },
  'shipping/ship': { trackingId: 'T-1' },
  'analytics/order-complete': {},
  'support/order-failed': {},
  'api.example.com/endpoint': { ok: true },
  'notifications.example.com/notify': { delivered: true },
};

/** The engine's API and one worker on `store`, with worker-main.ts's defaults. */
async function startEngine(store: SqlStore) {
  const client = new EngineClient(store, []);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: engineApi(client).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const worker = new Worker({
    store,
    concurrency: 200,
    leaseMs: 30_000,
    pollMs: store.dialect === 'sqlite' ? 20 : 1_000,
  }).start();
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await worker.stop();
      await store.close();
    },
  };
}

let standIns: StandIns;
let postgres: PostgresInstance;
const sqlite = sqliteStores();
const engines: Record<string, Awaited<ReturnType<typeof startEngine>>> = {};
const dir = mkdtempSync(join(tmpdir(), 'ce-doc-'));
beforeAll(async () => {
  standIns = await startStandIns(DEFAULTS);
  postgres = await startPostgres();
  // One engine per store, each started once for the file.
  engines.sqlite = await startEngine(await sqlite.make());
  engines.postgres = await startEngine(await postgresStores(() => postgres.url).make());
}, 120_000);
afterAll(async () => {
  for (const engine of Object.values(engines)) await engine.close();
  await postgres?.stop();
  await sqlite.cleanup();
  await standIns?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => standIns.reset());

/** What GET /executions/{id} answers (views.ts builds it). */
type ExecutionView = ReturnType<typeof executionView>;

describe.each(['sqlite', 'postgres'])('the API document on %s', (store) => {
  const api = () => engines[store]!.apiUrl;
  const run = (name: string, replace?: Record<string, string>) =>
    runScript(readExample(name), { apiUrl: api(), standInUrl: standIns.url, cwd: dir, replace });
  /** A JSON example (or a workflow built around a snippet), hosts rewritten, sent as the doc's curl would. */
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${api()}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: rewriteOrigins(JSON.stringify(body), api(), standIns.url),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const startAndWait = async (workflowId: string, context: Record<string, unknown> = {}) => {
    const started = await post('/executions/start', { workflowId, context });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    return pollExecution<ExecutionView>(api(), started.body.executionId as string, isDone);
  };
  const get = async (path: string) => (await fetch(`${api()}${path}`)).json();

  it(`POST /workflows, GET /workflows and GET /workflows/{id}: order-processing as written (${HARNESS.ORIGINS}; ${DIFFERS.EXTRA_FIELDS})`, async () => {
    const script = readExample('register-order-processing.sh');
    const registered = await run('register-order-processing.sh');
    expect(registered.statuses).toEqual([201]);
    expect(JSON.parse(registered.outputs[0]!)).toMatchObject({
      id: 'order-processing',
      version: 1,
      created: true,
    });

    const list = await run('list-workflows.sh');
    expect(list.statuses).toEqual([200]);
    const listed = JSON.parse(list.outputs[0]!).workflows as { id: string }[];
    expect(listed.map((w) => w.id)).toContain('order-processing');

    const one = await run('get-workflow.sh');
    expect(one.statuses).toEqual([200]);
    // The definition reads back as it was sent (plus defaults such as type and version).
    const sent = JSON.parse(rewriteOrigins(dataOf(script), api(), standIns.url));
    expect(JSON.parse(one.outputs[0]!)).toMatchObject(sent);
  });

  it(`POST /executions/start, GET /executions/{id} and /visualize show the doc's responses while charge-payment runs, then onComplete (${HARNESS.EXAMPLE_ID}; ${DIFFERS.RETRYING}; ${DIFFERS.DEFAULT_BODY})`, {
    timeout: 60_000,
  }, async () => {
    await run('register-order-processing.sh');
    // charge-payment: attempt 1 is held, then answers 500; attempt 2 is held, then succeeds.
    const first = gate<Response>();
    const second = gate<Response>();
    let charges = 0;
    standIns.on('payment-service/charge', () => (++charges === 1 ? first.promise : second.promise));

    const started = await run('start-execution.sh');
    expect(started.statuses).toEqual([201]);
    const startBody = JSON.parse(started.outputs[0]!);
    const shape = readJsonExample('start-execution.response.json');
    expect(Object.keys(startBody)).toEqual(expect.arrayContaining(Object.keys(shape)));
    const id = startBody.executionId as string;
    expect(id).toMatch(/^exec-/);

    const docExecution = readJsonExample<Record<string, unknown>>('get-execution.response.json');
    await pollExecution<ExecutionView>(
      api(),
      id,
      (v) => v.stepResults['charge-payment']?.status === 'running',
    );
    const shown = await run('get-execution.sh', { 'exec-abc-123': id });
    expect(shown.statuses).toEqual([200]);
    const execution = JSON.parse(shown.outputs[0]!);
    const docSteps = docExecution.stepResults as Record<string, Record<string, unknown>>;
    expect(execution).toMatchObject({
      ...docExecution,
      executionId: id,
      startTime: expect.any(Number),
      stepResults: {
        'validate-order': { ...docSteps['validate-order'], duration: expect.any(Number) },
        'charge-payment': docSteps['charge-payment'],
      },
    });
    // The doc's context lists orderId and the step result; the engine's also holds the rest of the input.
    expect(execution.context).toEqual({
      orderId: 'order-123',
      customerId: 'customer-456',
      amount: 99.99,
      'validate-order': { valid: true },
    });

    first.open(Response.json({ error: 'card network down' }, { status: 500 }));
    const retrying = await pollExecution<ExecutionView>(
      api(),
      id,
      (v) => v.stepResults['charge-payment']?.status === 'retrying',
    );
    expect(retrying.stepResults['charge-payment']).toMatchObject({
      attempts: 1,
      nextAttemptAt: expect.any(Number),
      error: expect.stringContaining('answered 500'),
    });
    expect(retrying.currentSteps).toEqual(['charge-payment']);

    // The doc's retryPolicy for charge-payment: the second attempt comes 2000 ms later.
    await pollExecution<ExecutionView>(
      api(),
      id,
      (v) =>
        v.stepResults['charge-payment']?.status === 'running' &&
        v.stepResults['charge-payment'].attempts === 2,
    );
    const visual = await run('visualize.sh', { 'exec-abc-123': id });
    expect(visual.statuses).toEqual([200]);
    const { steps: docVisualSteps, ...docVisual } = readJsonExample<{ steps: Record<string, unknown>[] }>(
      'visualize.response.json',
    );
    const visualized = JSON.parse(visual.outputs[0]!);
    expect(visualized).toMatchObject({ ...docVisual, executionId: id, duration: expect.any(Number) });
    // The doc shows the first two steps; the third is still pending. Running steps carry a live duration too.
    expect(visualized.steps).toMatchObject([
      { ...docVisualSteps[0], duration: expect.any(Number) },
      { ...docVisualSteps[1], duration: expect.any(Number) },
      { id: 'fulfill-order', status: 'pending', attempts: 0, dependencies: ['charge-payment'] },
    ]);

    second.open(Response.json({ charged: true, chargeId: 'ch_1' }));
    const done = await pollExecution<ExecutionView>(api(), id, isDone);
    expect(done.status).toBe('completed');
    expect(done.stepResults['charge-payment']).toMatchObject({ status: 'success', attempts: 2 });
    expect(done.stepResults['charge-payment']?.error).toBeUndefined();
    expect(done.stepResults['charge-payment']?.attemptHistory?.map((a) => a.outcome)).toEqual([
      'retry',
      'success',
    ]);
    // Never early: attempt 2 was claimed at least the policy's 2000 ms after attempt 1 ended.
    const [a1, a2] = done.stepResults['charge-payment']?.attemptHistory ?? [];
    expect(a2!.startedAt - a1!.startedAt).toBeGreaterThanOrEqual(2000);

    // Data flowed in: validate got the input, charge got the input plus validate's result.
    const calls = standIns.of(id);
    expect(calls.map((c) => `${c.host}${c.path}`)).toEqual([
      'validation-service/validate',
      'payment-service/charge',
      'payment-service/charge',
      'fulfillment-service/fulfill',
    ]);
    expect(calls[0]?.body).toEqual({ orderId: 'order-123', customerId: 'customer-456', amount: 99.99 });
    expect(calls[1]?.body).toMatchObject({ orderId: 'order-123', 'validate-order': { valid: true } });
    await until(() => standIns.hooksOf(id).some((h) => h.path === '/order-complete'));
    const hooks = standIns.hooksOf(id);
    expect(hooks.map((h) => `${h.host}${h.path}`)).toEqual(['notifications/order-complete']);
    expect(hooks[0]?.body).toMatchObject({
      event: 'execution.completed',
      executionId: id,
      status: 'completed',
    });
  });

  it('GET /executions lists all executions and filters by workflow', async () => {
    await run('register-order-processing.sh');
    const started = JSON.parse((await run('start-execution.sh')).outputs[0]!).executionId as string;
    await pollExecution(api(), started, isDone);
    await post('/workflows', { id: 'other', steps: [{ id: 'only' }] });
    const other = await startAndWait('other');
    const listed = await run('list-executions.sh');
    expect(listed.statuses).toEqual([200, 200]);
    const [all, filtered] = listed.outputs.map(
      (o) => JSON.parse(o).executions as { executionId: string; workflowId: string }[],
    );
    expect(all!.map((e) => e.executionId)).toEqual(expect.arrayContaining([started, other.executionId]));
    expect(filtered!.map((e) => e.executionId)).toContain(started);
    expect(new Set(filtered!.map((e) => e.workflowId))).toEqual(new Set(['order-processing']));
  });

  it(`built-in executors: the http.request, delay, transform, condition and webhook snippets each run as a step (${HARNESS.SHORT_DELAY}; ${DIFFERS.CONDITION_SKIPS})`, async () => {
    const snippet = (name: string) => readJsonExample(name);

    await post('/workflows', {
      id: 'doc-http',
      steps: [{ id: 'call', ...snippet('executor-http-request.json') }],
    });
    const http = await startAndWait('doc-http');
    expect(http.stepResults.call).toMatchObject({ status: 'success', result: { ok: true } });
    const [call] = standIns.of(http.executionId);
    expect(call).toMatchObject({
      host: 'api.example.com',
      path: '/endpoint',
      method: 'POST',
      headers: { authorization: 'Bearer token' },
      body: { key: 'value' },
    });

    const delay = snippet('executor-delay.json') as { params: { duration: number } };
    expect(delay.params.duration).toBe(5000);
    await post('/workflows', {
      id: 'doc-delay',
      steps: [{ id: 'wait', ...delay, params: { duration: 300 } }],
    });
    const waited = await startAndWait('doc-delay');
    expect(waited.stepResults.wait?.status).toBe('success');
    // The reported duration covers the wait (the engine makes the step due only after it).
    expect(waited.stepResults.wait?.duration).toBeGreaterThanOrEqual(300);

    await post('/workflows', {
      id: 'doc-transform',
      steps: [
        {
          id: 'previous-step',
          action: 'http.request',
          params: { url: 'http://source-system/items', method: 'GET' },
        },
        { id: 'mark', ...snippet('executor-transform.json'), dependencies: ['previous-step'] },
      ],
    });
    const transformed = await startAndWait('doc-transform');
    expect(transformed.stepResults.mark?.result).toEqual([
      { sku: 'a', processed: true },
      { sku: 'b', processed: true },
    ]);

    await post('/workflows', {
      id: 'doc-condition',
      steps: [
        { id: 'check', ...snippet('executor-condition.json') },
        {
          id: 'big-order',
          action: 'http.request',
          params: { url: 'http://api.example.com/endpoint', method: 'POST' },
          dependencies: ['check'],
        },
      ],
    });
    const big = await startAndWait('doc-condition', { amount: 150 });
    expect(big.stepResults.check?.result).toEqual({ result: true });
    expect(big.stepResults['big-order']?.status).toBe('success');
    const small = await startAndWait('doc-condition', { amount: 50 });
    expect(small.status).toBe('completed');
    expect(small.stepResults.check?.result).toEqual({ result: false });
    expect(small.stepResults['big-order']).toMatchObject({ status: 'skipped', skippedBy: 'check' });
    expect(standIns.of(small.executionId)).toEqual([]);

    await post('/workflows', {
      id: 'doc-webhook',
      steps: [{ id: 'notify', ...snippet('executor-webhook.json') }],
    });
    const notified = await startAndWait('doc-webhook');
    expect(notified.stepResults.notify).toMatchObject({ status: 'success', result: { delivered: true } });
    expect(standIns.of(notified.executionId)[0]).toMatchObject({
      host: 'notifications.example.com',
      path: '/notify',
      method: 'POST',
      body: { executionId: notified.executionId, stepId: 'notify', payload: { event: 'step-complete' } },
    });
  });

  it(`retry policies: attempt 1 at once, then 1 s, 2 s, 4 s, 8 s (${HARNESS.SHORT_RETRY})`, async () => {
    const { retryPolicy } = readJsonExample<{ retryPolicy: RetryPolicy }>('retry-policy.json');
    // The doc's schedule, from the engine's backoff formula for the doc's policy as written.
    expect([1, 2, 3, 4].map((n) => retryDelay(retryPolicy, n, Math.random))).toEqual([
      1000, 2000, 4000, 8000,
    ]);

    const scaled = { ...retryPolicy, initialDelay: 20, maxDelay: 600 };
    let calls = 0;
    standIns.on('flaky/op', () =>
      ++calls < 5 ? Response.json({ error: 'try again' }, { status: 503 }) : Response.json({ done: true }),
    );
    await post('/workflows', {
      id: 'doc-retry',
      steps: [
        {
          id: 'op',
          action: 'http.request',
          params: { url: 'http://flaky/op', method: 'POST' },
          retryPolicy: scaled,
        },
      ],
    });
    const done = await startAndWait('doc-retry');
    expect(done.status).toBe('completed');
    const history = done.stepResults.op?.attemptHistory ?? [];
    expect(history.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'retry', 'success']);
    // Each attempt was claimed no earlier than the previous claim plus its delay (engine timestamps).
    for (const n of [1, 2, 3, 4])
      expect(history[n]!.startedAt - history[n - 1]!.startedAt).toBeGreaterThanOrEqual(
        retryDelay(scaled, n, Math.random),
      );
  });

  it(`example 1, the data processing pipeline, runs as written: extract, both transforms, load receives both (${DIFFERS.DEFAULT_BODY})`, async () => {
    const ran = await run('example-etl-pipeline.sh');
    expect(ran.statuses).toEqual([201, 201]);
    const id = JSON.parse(ran.outputs[1]!).executionId as string;
    const done = await pollExecution<ExecutionView>(api(), id, isDone);
    expect(done.status).toBe('completed');
    const users = [
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Linus' },
    ];
    const orders = [
      { id: 10, status: 'active' },
      { id: 12, status: 'active' },
    ];
    expect(done.stepResults['transform-users']?.result).toEqual(users);
    expect(done.stepResults['transform-orders']?.result).toEqual(orders);
    const load = standIns.of(id).find((c) => c.host === 'target-system');
    expect(load).toMatchObject({
      method: 'POST',
      path: '/load',
      body: { 'transform-users': users, 'transform-orders': orders },
    });
    expect(done.stepResults.load?.result).toEqual({ loaded: true });
  });

  it(`example 2 and the Complete Example: order-flow registers, runs in order, is monitored, visualized and listed, and calls onComplete (${HARNESS.WATCH})`, {
    timeout: 60_000,
  }, async () => {
    const example = await run('example-order-flow.sh');
    expect(example.statuses).toEqual([201]);
    writeFileSync(
      join(dir, 'workflow-definition.json'),
      rewriteOrigins(dataOf(readExample('example-order-flow.sh')), api(), standIns.url),
    );
    const complete = await run('complete-example.sh');
    // 1. register (the same definition again: kept as version 1), 2. start, 3. monitor, 4. visualize, 5. list
    expect(complete.statuses[0]).toBe(200);
    expect(JSON.parse(complete.outputs[0]!)).toMatchObject({ id: 'order-flow', version: 1, created: false });
    expect(complete.outputs[1]).toBe('');
    expect(complete.outputs[2]).toBe('"completed"');
    const visual = JSON.parse(complete.outputs[3]!);
    expect(visual).toMatchObject({ workflowName: 'E-commerce Order Flow', status: 'completed' });
    expect(visual.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['validate', 'success'],
      ['check-inventory', 'success'],
      ['charge-payment', 'success'],
      ['ship-order', 'success'],
      ['send-confirmation', 'success'],
    ]);
    const id = visual.executionId as string;
    expect(
      JSON.parse(complete.outputs[4]!).executions.map((e: { executionId: string }) => e.executionId),
    ).toContain(id);
    expect(standIns.of(id).map((c) => `${c.host}${c.path}`)).toEqual([
      'validation/validate',
      'inventory/check',
      'payment/charge',
      'shipping/ship',
      'notifications/email',
    ]);
    expect(standIns.of(id)[0]?.body).toEqual({ orderId: '123' });
    expect(standIns.of(id)[4]?.body).toEqual({
      executionId: id,
      stepId: 'send-confirmation',
      payload: { type: 'order-confirmation' },
    });
    await until(() => standIns.hooksOf(id).length > 0);
    expect(standIns.hooksOf(id).map((h) => `${h.host}${h.path}`)).toEqual(['analytics/order-complete']);
  });

  it(`example 3, the CI/CD pipeline: steps without action run in dependency order (${DIFFERS.NOOP_DEFAULT})`, async () => {
    const cicd = readJsonExample<{ steps: { id: string }[] }>('example-cicd-pipeline.json');
    const registered = await post('/workflows', cicd);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const done = await startAndWait('cicd-pipeline');
    expect(done.status).toBe('completed');
    const ids = cicd.steps.map((s) => s.id);
    expect(done.completedSteps).toEqual(ids);
    for (const [i, id] of ids.entries()) {
      const step = done.stepResults[id]!;
      expect(step).toMatchObject({ status: 'success', attempts: 1, result: null });
      if (i === 0) continue;
      const before = done.stepResults[ids[i - 1]!]!.attemptHistory![0]!;
      expect(step.attemptHistory![0]!.startedAt).toBeGreaterThanOrEqual(before.finishedAt!);
    }
  });

  it('parallel execution: Step A and Step B run concurrently, Step C after both', async () => {
    // A and B each wait at the stand-in until the other has arrived: they only finish if both run at once.
    const arrived = { a: gate(), b: gate() };
    const barrier = (self: 'a' | 'b', other: 'a' | 'b') => async () => {
      arrived[self].open();
      const met = await Promise.race([
        arrived[other].promise.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
      ]);
      return met ? Response.json({ step: self }) : Response.json({ error: 'ran alone' }, { status: 400 });
    };
    standIns.on('barrier/a', barrier('a', 'b'));
    standIns.on('barrier/b', barrier('b', 'a'));
    standIns.on('barrier/c', () => Response.json({ step: 'c' }));
    const step = (id: string, dependencies: string[] = []) => ({
      id,
      name: `Step ${id.toUpperCase()}`,
      action: 'http.request',
      params: { url: `http://barrier/${id}`, method: 'GET' },
      dependencies,
    });
    await post('/workflows', { id: 'doc-parallel', steps: [step('a'), step('b'), step('c', ['a', 'b'])] });
    const done = await startAndWait('doc-parallel');
    expect(done.status, JSON.stringify(done.stepResults)).toBe('completed');
    const calls = standIns.of(done.executionId);
    const c = calls.find((r) => r.path === '/c')!;
    for (const r of calls.filter((r) => r.path !== '/c')) expect(c.seq).toBeGreaterThan(r.answeredAt!);
  });

  it(`error handling: a failed step stops its dependents, the workflow fails, onFailure is called; onStep follows every step (${DIFFERS.NON_RETRYABLE_4XX}; ${DIFFERS.CANCELLED_DEPENDENTS})`, async () => {
    await run('example-order-flow.sh');
    standIns.on('payment/charge', () => Response.json({ error: 'card declined' }, { status: 402 }));
    const failed = await startAndWait('order-flow', { orderId: '124' });
    expect(failed.status).toBe('failed');
    expect(failed.failedSteps).toEqual(['charge-payment']);
    expect(failed.stepResults['charge-payment']).toMatchObject({
      attempts: 1,
      error: expect.stringContaining('answered 402'),
    });
    expect(failed.stepResults['ship-order']?.status).toBe('cancelled');
    expect(failed.stepResults['send-confirmation']?.status).toBe('cancelled');
    expect(standIns.of(failed.executionId).map((c) => c.host)).toEqual([
      'validation',
      'inventory',
      'payment',
    ]);
    await until(() => standIns.hooksOf(failed.executionId).length > 0);
    expect(standIns.hooksOf(failed.executionId)).toMatchObject([
      { host: 'support', path: '/order-failed', body: { event: 'execution.failed', status: 'failed' } },
    ]);

    standIns.on('flaky/op', () => Response.json({ error: 'gone' }, { status: 410 }));
    await post('/workflows', {
      id: 'doc-on-step',
      steps: [
        { id: 'fine' },
        { id: 'broken', action: 'http.request', params: { url: 'http://flaky/op' }, dependencies: ['fine'] },
      ],
      webhooks: { onStep: 'http://notifications/step', onFailure: 'http://notifications/order-failed' },
    });
    standIns.on('notifications/step', () => Response.json({}));
    const stepped = await startAndWait('doc-on-step');
    await until(() => standIns.hooksOf(stepped.executionId).length === 3);
    // Delivered concurrently: in the order they were written (the outbox id in their Idempotency-Key).
    const outboxId = (h: { headers: Record<string, string> }) =>
      Number(h.headers['idempotency-key']?.slice(7));
    expect(
      standIns
        .hooksOf(stepped.executionId)
        .sort((x, y) => outboxId(x) - outboxId(y))
        .map((h) => [h.path, (h.body as { stepId?: string }).stepId, (h.body as { status: string }).status]),
    ).toEqual([
      ['/step', 'fine', 'success'],
      ['/step', 'broken', 'failed'],
      ['/order-failed', undefined, 'failed'],
    ]);
  });

  it(`step conditions: context.previousStep.result > 100 gates the next step; a missing reference fails the step (${DIFFERS.CONDITION_SKIPS})`, async () => {
    const conditional = readJsonExample('step-conditions.json');
    standIns.on('pricing/quote', (r) =>
      Response.json({ result: Number(new URL(`http://x${r.path}`).searchParams.get('amount')) }),
    );
    await post('/workflows', {
      id: 'doc-step-conditions',
      steps: [
        {
          id: 'previousStep',
          action: 'http.request',
          params: { url: 'http://pricing/quote?amount={{context.amount}}' },
        },
        { ...conditional, dependencies: ['previousStep'] },
        { id: 'manual-review', dependencies: ['conditional-step'] },
      ],
    });
    const high = await startAndWait('doc-step-conditions', { amount: 250 });
    expect(high.stepResults['conditional-step']?.result).toEqual({ result: true });
    expect(high.stepResults['manual-review']?.status).toBe('success');
    const low = await startAndWait('doc-step-conditions', { amount: 40 });
    expect(low.status).toBe('completed');
    expect(low.stepResults['conditional-step']?.result).toEqual({ result: false });
    expect(low.stepResults['manual-review']).toMatchObject({
      status: 'skipped',
      skippedBy: 'conditional-step',
    });

    // The snippet on its own: there is no previousStep, and that is an error, not a quiet false.
    await post('/workflows', { id: 'doc-step-condition-alone', steps: [conditional] });
    const alone = await startAndWait('doc-step-condition-alone', { amount: 250 });
    expect(alone.status).toBe('failed');
    expect(alone.stepResults['conditional-step']?.error).toBe(
      'script threw ReferenceError: context.previousStep does not exist',
    );
  });

  it(`custom executors and bad input (${DIFFERS.CUSTOM_EXECUTORS})`, async () => {
    const custom = await post('/workflows', {
      id: 'doc-custom',
      steps: [{ id: 's', action: 'custom-action' }],
    });
    expect(custom.status).toBe(400);
    expect(custom.body).toMatchObject({
      error: {
        code: 'invalid_definition',
        message: expect.stringContaining("unknown action 'custom-action'"),
      },
    });
    const cycle = await post('/workflows', {
      id: 'doc-cycle',
      steps: [
        { id: 'a', dependencies: ['b'] },
        { id: 'b', dependencies: ['a'] },
      ],
    });
    expect(cycle.status).toBe(400);
    expect(String((cycle.body.error as { message: string }).message)).toContain('dependency cycle');
    const missing = await post('/executions/start', { workflowId: 'no-such-workflow', context: {} });
    expect(missing.status).toBe(404);
    expect(await get('/executions/exec-abc-123')).toMatchObject({ error: { code: 'not_found' } });
  });
});

async function until(check: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for webhooks');
    await new Promise((r) => setTimeout(r, 20));
  }
}
