import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineApi } from './api';
import { EngineClient } from './engine';
import type { SqlStore } from './store';
import { sqliteStores, until } from './testing';
import { Worker } from './worker';

/** The engine's REST API (the API doc) over a real SQLite store and worker, via hono's app.request. */

let store: SqlStore;
let worker: Worker;
let app: ReturnType<typeof engineApi>;
let release: () => void = () => {};
const stores = sqliteStores();

beforeAll(async () => {
  store = await stores.make();
  const handlers = {
    greet: ({ context }: { context: Record<string, unknown> }) => ({ hello: context.name }),
    hold: ({ signal }: { signal: AbortSignal }) =>
      new Promise((resolve, reject) => {
        release = () => resolve('released');
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
  };
  const client = new EngineClient(store, Object.keys(handlers));
  worker = new Worker({ store, handlers, pollMs: 20 }).start();
  app = engineApi(client);
});
afterAll(async () => {
  release();
  await worker.stop();
  await store.close();
  await stores.cleanup();
});

const post = (path: string, body: unknown, contentType = 'application/json') =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Body = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Body;

const hello = {
  id: 'hello',
  name: 'Hello',
  steps: [
    { id: 'greet', action: 'greet' },
    {
      id: 'shout',
      action: 'transform',
      params: { expression: '$uppercase(greet.hello)' },
      dependencies: ['greet'],
    },
  ],
};

describe('engine REST API', () => {
  it('rejects bad JSON and bad definitions with a 4xx naming the problem, storing nothing', async () => {
    const cases: [unknown, string, number, string, string][] = [
      ['{"id": "x", "steps": [', 'application/json', 400, 'invalid_json', 'body is not JSON'],
      [hello, 'text/plain', 415, 'unsupported_media_type', 'application/json'],
      [
        {
          id: 'loop',
          steps: [
            { id: 'a', action: 'greet', dependencies: ['b'] },
            { id: 'b', action: 'greet', dependencies: ['a'] },
          ],
        },
        'application/json',
        400,
        'invalid_definition',
        'dependency cycle: a -> b -> a',
      ],
      [
        { id: 'x', steps: [{ id: 'a', action: 'rm-rf' }] },
        'application/json',
        400,
        'invalid_definition',
        "unknown action 'rm-rf'",
      ],
      [
        { id: 'x', steps: [{ id: 'a', action: 'greet', dependencies: ['ghost'] }] },
        'application/json',
        400,
        'invalid_definition',
        "unknown step 'ghost'",
      ],
      [
        {
          id: 'x',
          steps: [
            { id: 'a', action: 'greet' },
            { id: 'a', action: 'greet' },
          ],
        },
        'application/json',
        400,
        'invalid_definition',
        "duplicate step id 'a'",
      ],
      [
        {
          id: 'x',
          steps: [
            {
              id: 'a',
              action: 'greet',
              retryPolicy: { maxAttempts: 3, initialDelay: 50, backoffMultiplier: 2, maxDelay: 5 },
            },
          ],
        },
        'application/json',
        400,
        'invalid_definition',
        'maxDelay (5) must be >= initialDelay (50)',
      ],
    ];
    for (const [body, type, status, code, message] of cases) {
      const res = await post('/workflows', body as object, type);
      const b = await json(res);
      expect(res.status, JSON.stringify(b)).toBe(status);
      expect(b.error.code).toBe(code);
      expect(b.error.message).toContain(message);
    }
    expect((await json(await app.request('/workflows'))).workflows).toEqual([]);
    expect((await app.request('/workflows/loop')).status).toBe(404);
  });

  it('versions definitions: same body keeps its version, a change makes the next one', async () => {
    const first = await post('/workflows', hello);
    expect(first.status).toBe(201);
    expect((await json(first)).version).toBe(1);
    const same = await post('/workflows', hello);
    expect(same.status).toBe(200);
    expect((await json(same)).version).toBe(1);
    const changed = await post('/workflows', { ...hello, name: 'Hello again' });
    expect((await json(changed)).version).toBe(2);
    expect((await json(await app.request('/workflows/hello'))).version).toBe(2);
    expect((await json(await app.request('/workflows/hello?version=1'))).name).toBe('Hello');
    expect((await json(await app.request('/workflows'))).workflows.map((w: { id: string }) => w.id)).toEqual([
      'hello',
    ]);
  });

  it('starts, lists, shows and visualizes an execution', async () => {
    expect((await post('/executions/start', { workflowId: 'nope' })).status).toBe(404);
    expect((await post('/executions/start', { workflow: 'hello' })).status).toBe(400);
    const res = await post('/executions/start', { workflowId: 'hello', context: { name: 'ada' } });
    expect(res.status).toBe(201);
    const { executionId } = await json(res);
    const exec = await until(async () => {
      const e = await json(await app.request(`/executions/${executionId}`));
      return e.status === 'completed' && e;
    });
    expect(exec).toMatchObject({
      executionId,
      workflowId: 'hello',
      workflowVersion: 2,
      completedSteps: ['greet', 'shout'],
      failedSteps: [],
      currentSteps: [],
      stepResults: { greet: { stepId: 'greet', status: 'success', attempts: 1, result: { hello: 'ada' } } },
      context: { name: 'ada', greet: { hello: 'ada' }, shout: 'ADA' },
      output: 'ADA',
    });
    const list = await json(await app.request('/executions?workflowId=hello'));
    expect(list.executions.map((e: { executionId: string }) => e.executionId)).toEqual([executionId]);
    expect((await json(await app.request('/executions?workflowId=other'))).executions).toEqual([]);
    const viz = await json(await app.request(`/executions/${executionId}/visualize`));
    expect(viz).toMatchObject({ executionId, workflowName: 'Hello again', status: 'completed' });
    expect(viz.steps.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['greet', 'success'],
      ['shout', 'success'],
    ]);
    expect(viz.mermaid).toContain('flowchart TD');
    expect(viz.mermaid).toContain('s_greet["greet<br/>success"]:::success');
    expect(viz.mermaid).toContain('s_greet --> s_shout');
    expect(viz.mermaid).toMatch(/classDef success fill:#[0-9a-f]{6}/);
    expect((await app.request('/executions/missing')).status).toBe(404);
  });

  it('cancels a running execution; a finished one cannot be cancelled', async () => {
    await post('/workflows', {
      id: 'held',
      steps: [
        { id: 'h', action: 'hold' },
        { id: 'after', action: 'greet', dependencies: ['h'] },
      ],
    });
    const { executionId } = await json(await post('/executions/start', { workflowId: 'held' }));
    await until(async () => (await store.attempts(executionId)).length === 1);
    const res = await post(`/executions/${executionId}/cancel`, {});
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ executionId, status: 'cancelled' });
    const viz = await json(await app.request(`/executions/${executionId}/visualize`));
    expect(viz.status).toBe('cancelled');
    expect(viz.mermaid).toContain(':::cancelled');
    release();
    const done = (await json(await app.request('/executions?workflowId=hello'))).executions[0].executionId;
    const again = await post(`/executions/${done}/cancel`, {});
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('not_cancellable');
    expect((await post('/executions/missing/cancel', {})).status).toBe(404);
  });

  it('POST /executions/{id}/events/{name}: a suspended event step shows what it waits for, takes the event (202), refuses others (409)', async () => {
    await post('/workflows', {
      id: 'awaits',
      steps: [
        { id: 'decision', action: 'event', params: { name: 'approval', timeout: 3_600_000 } },
        { id: 'greet', action: 'greet', dependencies: ['decision'] },
      ],
      output: 'decision.payload',
    });
    const { executionId } = await json(await post('/executions/start', { workflowId: 'awaits' }));
    const waiting = (await until(async () => {
      const e = await json(await app.request(`/executions/${executionId}`));
      return e.status === 'suspended' && e;
    })) as Body;
    expect(waiting.currentSteps).toEqual(['decision']);
    expect(waiting.stepResults.decision).toMatchObject({ status: 'suspended', waitingFor: 'approval' });
    expect(waiting.stepResults.decision.timeoutAt).toBeGreaterThan(Date.now());
    expect((await post(`/executions/${executionId}/events/approval`, 'yes', 'text/plain')).status).toBe(415);
    const other = await post(`/executions/${executionId}/events/other`, {});
    expect(other.status).toBe(409);
    expect((await json(other)).error.code).toBe('not_waiting');
    expect((await post('/executions/missing/events/approval', {})).status).toBe(404);
    const sent = await post(`/executions/${executionId}/events/approval`, { approved: true });
    expect(sent.status).toBe(202);
    expect(await json(sent)).toEqual({
      executionId,
      event: 'approval',
      stepId: 'decision',
      status: 'delivered',
    });
    const done = (await until(async () => {
      const e = await json(await app.request(`/executions/${executionId}`));
      return e.status === 'completed' && e;
    })) as Body;
    expect(done.output).toEqual({ approved: true });
    expect((await post(`/executions/${executionId}/events/approval`, {})).status).toBe(409);
  });
});
