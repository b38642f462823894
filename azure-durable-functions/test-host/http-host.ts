import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { HttpResponseInit } from '@azure/functions';
import { azureFunctions } from '../src/azure-functions';
import type { FunctionBinding, RegisteredFunction } from './functions-core';
import type { InstanceView, ReplayHost } from './replay-host';

/**
 * The HTTP side of the Functions host (the default; DF_HTTP=contract skips it): requests are routed to the app's own
 * httpTrigger functions (so the app's HTTP starter and its durable client run, not a stand-in),
 * and the durable client talks to the subset of the extension's HTTP API it uses
 * (`/runtime/webhooks/durabletask/`: start, status, raise an event, terminate), answered
 * from the replay host. Binding data for the durable client is built the way the extension
 * describes itself to the worker (taskHubName, creation/management URLs, rpcBaseUrl).
 */
const WEBHOOKS = '/runtime/webhooks/durabletask/';
export const RUNTIME_STATUS = {
  pending: 'Pending',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
} as const;

export type HttpHostOptions = {
  host: ReplayHost;
  functions: ReadonlyMap<string, RegisteredFunction>;
  taskHub: string;
  routePrefix: string;
};

function routeMatcher(template: string, prefix: string) {
  const parts = [prefix, template].filter(Boolean).join('/').split('/').filter(Boolean);
  return (path: string): Record<string, string> | undefined => {
    const segments = path.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    for (const [i, part] of parts.entries()) {
      const param = /^\{(\*)?([A-Za-z0-9_]+)(?::[^}?]*)?(\?)?\}$/.exec(part);
      if (param?.[1]) {
        params[param[2]!] = segments.slice(i).map(decodeURIComponent).join('/');
        return params;
      }
      const segment = segments[i];
      if (param) {
        if (segment === undefined) return param[3] ? params : undefined;
        params[param[2]!] = decodeURIComponent(segment);
      } else if (segment?.toLowerCase() !== part.toLowerCase()) return undefined;
    }
    return segments.length === parts.length ? params : undefined;
  };
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

function statusJson(v: InstanceView) {
  return {
    name: v.name,
    instanceId: v.instanceId,
    runtimeStatus: RUNTIME_STATUS[v.status],
    input: v.input ?? null,
    customStatus: v.customStatus ?? null,
    // the extension reports a failed instance's error message as its output
    output: v.status === 'failed' ? (v.error ?? null) : (v.output ?? null),
    createdTime: v.createdTime,
    lastUpdatedTime: v.lastUpdatedTime,
  };
}

export function startHttpHost(options: HttpHostOptions, port: number, hostname: string) {
  const { host, functions } = options;
  const httpFunctions = [...functions.values()]
    .filter((f) => f.triggerType === 'httpTrigger')
    .map((f) => {
      const trigger = Object.values(f.bindings).find((b) => b.type === 'httpTrigger')!;
      const methods = ((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) =>
        m.toUpperCase(),
      );
      return {
        f,
        trigger,
        methods,
        match: routeMatcher(String(trigger.route ?? f.name), options.routePrefix),
      };
    });
  let origin = '';

  const clientData = () => {
    const base = `${origin}${WEBHOOKS}`;
    const instance = `${base}instances/INSTANCEID?taskHub=${options.taskHub}&connection=Storage`;
    return {
      taskHubName: options.taskHub,
      creationUrls: {
        createNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]?taskHub=${options.taskHub}`,
        createAndWaitOnNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: instance,
        sendEventPostUri: instance.replace('?', '/raiseEvent/{eventName}?'),
        terminatePostUri: instance.replace('?', '/terminate?reason={text}&'),
        rewindPostUri: instance.replace('?', '/rewind?reason={text}&'),
        purgeHistoryDeleteUri: instance,
        restartPostUri: instance.replace('?', '/restart?'),
        suspendPostUri: instance.replace('?', '/suspend?reason={text}&'),
        resumePostUri: instance.replace('?', '/resume?reason={text}&'),
      },
      baseUrl: base,
      requiredQueryStringParameters: '',
      rpcBaseUrl: base,
    };
  };

  async function webhooks(method: string, path: string, body: Buffer, res: ServerResponse, query = '') {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    const start = /^orchestrators\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (method === 'POST' && start) {
      const id = start[2] ?? randomUUID().replaceAll('-', '');
      const input = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
      try {
        await host.start(decodeURIComponent(start[1]!), id, input);
      } catch (error) {
        return json(409, { message: (error as Error).message });
      }
      return json(202, { id });
    }
    const status = /^instances\/([^/]+)$/.exec(path);
    if (method === 'GET' && status) {
      const view = host.view(decodeURIComponent(status[1]!));
      if (!view) return json(404, { message: 'instance not found' });
      return json(view.status === 'pending' || view.status === 'running' ? 202 : 200, statusJson(view));
    }
    // HttpApiHandler.HandleTerminateInstanceRequestAsync: 404 unknown, 410 already finished, 202.
    const terminate = /^instances\/([^/]+)\/terminate$/.exec(path);
    if (method === 'POST' && terminate) {
      const reason = new URLSearchParams(query).get('reason') ?? '';
      const outcome = await host.terminate(decodeURIComponent(terminate[1]!), reason);
      if (!outcome) return json(404, { message: 'instance not found' });
      return outcome === 'gone' ? json(410, { message: 'instance already finished' }) : json(202, {});
    }
    // HttpApiHandler.HandleRaiseEventRequestAsync: 404 unknown, 410 finished, 400 not JSON, 202.
    const raise = /^instances\/([^/]+)\/raiseEvent\/([^/]+)$/.exec(path);
    if (method === 'POST' && raise) {
      const text = body.toString('utf8');
      try {
        if (text !== '') JSON.parse(text);
      } catch {
        return json(400, { message: 'Invalid JSON content' });
      }
      const outcome = await host.raiseEvent(
        decodeURIComponent(raise[1]!),
        decodeURIComponent(raise[2]!),
        text === '' ? undefined : text,
      );
      if (!outcome) return json(404, { message: 'instance not found' });
      return outcome === 'gone' ? json(410, { message: 'instance already finished' }) : json(202, {});
    }
    return json(501, { message: `the test host does not implement ${method} ${WEBHOOKS}${path}` });
  }

  async function invoke(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse) {
    const method = (req.method ?? 'GET').toUpperCase();
    for (const { f, trigger, methods, match } of httpFunctions) {
      const params = methods.includes(method) ? match(url.pathname) : undefined;
      if (!params) continue;
      const extraInputs = Object.values(f.bindings).filter(
        (b) => b.direction === 'in' && b !== trigger,
      ) as Array<FunctionBinding & { name: string }>;
      const context = new azureFunctions.InvocationContext({
        functionName: f.name,
        invocationId: randomUUID(),
        options: { trigger: trigger as never, extraInputs: extraInputs as never, extraOutputs: [] },
      });
      for (const input of extraInputs) {
        if (input.type === 'durableClient' || input.type === 'orchestrationClient')
          context.extraInputs.set(input.name, clientData());
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      const request = new azureFunctions.HttpRequest({
        method,
        url: url.href,
        headers,
        query: Object.fromEntries(url.searchParams),
        params,
        body: { bytes: body },
      });
      const result = (await f.handler(request, context)) as
        | HttpResponseInit
        | InstanceType<typeof azureFunctions.HttpResponse>;
      const response =
        result instanceof azureFunctions.HttpResponse ? result : new azureFunctions.HttpResponse(result);
      const out = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers)).end(out);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code: 'not_found', message: 'no function matches' } }));
  }

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', origin);
        const body = await readBody(req);
        if (url.pathname.startsWith(WEBHOOKS))
          await webhooks(req.method ?? 'GET', url.pathname.slice(WEBHOOKS.length), body, res, url.search);
        else await invoke(req, url, body, res);
      } catch (error) {
        console.error('[test-host] request failed:', error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'host_error', message: (error as Error).message } }));
      }
    })();
  });
  server.requestTimeout = 0;
  return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    server.listen(port, hostname, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      origin = `http://${hostname}:${actual}`;
      resolve({ url: origin, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
