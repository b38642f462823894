import { Hono } from 'hono';
import { z } from 'zod';
import { DefinitionError } from './definition';
import type { EngineClient } from './engine';
import { PlaceholderError } from './placeholders';
import { NotFoundError } from './store';
import { executionView, visualizeView } from './views';

/** The REST API of the API doc. Every error is `{error:{code,message}}`; a rejected request stores nothing. */

const StartBody = z
  .object({
    workflowId: z.string().min(1),
    version: z.number().int().min(1).optional(),
    context: z.record(z.string(), z.unknown()).default({}),
    executionId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/)
      .optional(),
  })
  .strict();

const MAX_BODY = 1_000_000;

type ErrorStatus = 400 | 404 | 409 | 413 | 415;
const fail = (status: ErrorStatus, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });

async function readJson(
  req: Request,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  if (!(req.headers.get('content-type') ?? '').toLowerCase().includes('application/json'))
    return { ok: false, response: fail(415, 'unsupported_media_type', 'send application/json') };
  const text = await req.text();
  if (text.length > MAX_BODY)
    return { ok: false, response: fail(413, 'too_large', `body over ${MAX_BODY} bytes`) };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      response: fail(400, 'invalid_json', `body is not JSON: ${(error as Error).message}`),
    };
  }
}

export function engineApi(client: EngineClient) {
  const app = new Hono();
  const store = client.store;

  app.post('/workflows', async (c) => {
    const body = await readJson(c.req.raw);
    if (!body.ok) return body.response;
    try {
      const { workflow, created } = await client.register(body.value);
      return c.json(
        { id: workflow.id, version: workflow.version, created, definition: workflow.definition },
        created ? 201 : 200,
      );
    } catch (error) {
      if (error instanceof DefinitionError) return fail(400, 'invalid_definition', error.message);
      throw error;
    }
  });

  app.get('/workflows', async (c) =>
    c.json({
      workflows: (await store.listWorkflows()).map((w) => ({
        ...w.definition,
        version: w.version,
        createdAt: w.createdAt,
      })),
    }),
  );

  app.get('/workflows/:id', async (c) => {
    const v = c.req.query('version');
    const version = v === undefined ? undefined : Number(v);
    if (version !== undefined && !Number.isInteger(version))
      return fail(400, 'invalid_version', 'version must be an integer');
    const wf = await store.getWorkflow(c.req.param('id'), version);
    if (!wf) return fail(404, 'not_found', `workflow '${c.req.param('id')}' not found`);
    return c.json({ ...wf.definition, version: wf.version, createdAt: wf.createdAt });
  });

  app.post('/executions/start', async (c) => {
    const body = await readJson(c.req.raw);
    if (!body.ok) return body.response;
    const parsed = StartBody.safeParse(body.value);
    if (!parsed.success)
      return fail(
        400,
        'invalid_request',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      );
    try {
      const { execution, created } = await client.start({
        workflowId: parsed.data.workflowId,
        version: parsed.data.version,
        input: parsed.data.context,
        executionId: parsed.data.executionId,
      });
      return c.json(
        { executionId: execution.id, workflowVersion: execution.workflowVersion, created },
        created ? 201 : 200,
      );
    } catch (error) {
      if (error instanceof NotFoundError) return fail(404, 'not_found', error.message);
      if (error instanceof PlaceholderError) return fail(400, 'invalid_context', error.message);
      throw error;
    }
  });

  app.get('/executions', async (c) => {
    const workflowId = c.req.query('workflowId');
    const list = await store.listExecutions({ workflowId, limit: 500 });
    return c.json({
      executions: list.map((e) => ({
        executionId: e.id,
        workflowId: e.workflowId,
        workflowVersion: e.workflowVersion,
        status: e.status,
        startTime: e.createdAt,
        ...(e.finishedAt !== undefined ? { endTime: e.finishedAt } : {}),
      })),
    });
  });

  const load = async (id: string) => {
    const found = await store.getExecution(id);
    if (!found) return undefined;
    const wf = await store.getWorkflow(found.execution.workflowId, found.execution.workflowVersion);
    return wf && { ...found, def: wf.definition };
  };

  app.get('/executions/:id', async (c) => {
    const found = await load(c.req.param('id'));
    if (!found) return fail(404, 'not_found', `execution '${c.req.param('id')}' not found`);
    const attempts = await store.attempts(found.execution.id);
    return c.json(executionView(found.execution, found.steps, found.def, client.clock.now(), attempts));
  });

  app.get('/executions/:id/visualize', async (c) => {
    const found = await load(c.req.param('id'));
    if (!found) return fail(404, 'not_found', `execution '${c.req.param('id')}' not found`);
    return c.json(visualizeView(found.execution, found.steps, found.def, client.clock.now()));
  });

  app.post('/executions/:id/cancel', async (c) => {
    const exec = await client.cancel(c.req.param('id'));
    if (!exec) return fail(404, 'not_found', `execution '${c.req.param('id')}' not found`);
    if (exec.status !== 'cancelled')
      return fail(409, 'not_cancellable', `execution is already ${exec.status}`);
    return c.json({ executionId: exec.id, status: exec.status });
  });

  app.post('/executions/:id/events/:name', async (c) => {
    const body = await readJson(c.req.raw);
    if (!body.ok) return body.response;
    const id = c.req.param('id');
    const name = c.req.param('name');
    const sent = await client.sendEvent(id, name, body.value);
    if (!sent.delivered && sent.reason === 'not_found')
      return fail(404, 'not_found', `execution '${id}' not found`);
    if (!sent.delivered)
      return fail(409, 'not_waiting', `no step of execution '${id}' waits for event '${name}'`);
    return c.json({ executionId: id, event: name, stepId: sent.stepId, status: 'delivered' }, 202);
  });

  app.notFound(() => fail(404, 'not_found', 'no such route'));
  app.onError((error) =>
    Response.json({ error: { code: 'internal', message: (error as Error).message } }, { status: 500 }),
  );
  return app;
}
