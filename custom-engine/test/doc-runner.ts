import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';

/**
 * What the API doc conformance test needs around the engine: the doc's examples (copied into
 * doc-examples/), local HTTP servers standing in for the doc's example hosts, and a runner that
 * executes the doc's curl commands with bash and curl as a reader would.
 */

export const EXAMPLES_DIR = join(import.meta.dirname, 'doc-examples');

/** Every host the doc's examples call; each is served by the stand-in server under /<host>/. */
export const EXAMPLE_HOSTS = [
  'validation-service',
  'payment-service',
  'fulfillment-service',
  'notifications.example.com',
  'notifications',
  'source-system',
  'target-system',
  'validation',
  'inventory',
  'payment',
  'shipping',
  'analytics',
  'support',
  'api.example.com',
  // Hosts of the test's own workflows built around the doc's snippets.
  'pricing',
  'barrier',
  'flaky',
];
const HOST = new RegExp(`http://(${EXAMPLE_HOSTS.map((h) => h.replace(/\./g, '\\.')).join('|')})(?=/)`, 'g');

/**
 * The only edits the test makes to an example: the doc's engine origin becomes the running
 * engine's, and each example host becomes its stand-in (http://payment/charge ->
 * http://127.0.0.1:<port>/payment/charge). Paths, bodies and headers stay as written.
 */
export function rewriteOrigins(text: string, apiUrl: string, standInUrl: string): string {
  return text.replaceAll('http://localhost:3000', apiUrl).replace(HOST, (_, host) => `${standInUrl}/${host}`);
}

export const readExample = (name: string) => readFileSync(join(EXAMPLES_DIR, name), 'utf8');
export const readJsonExample = <T = Record<string, unknown>>(name: string): T =>
  JSON.parse(readExample(name));

/** The `-d '...'` body of the first curl command in an example script. */
export function dataOf(script: string): string {
  const match = /-d '((?:[^']|'\\'')*)'/.exec(script);
  if (!match) throw new Error('no -d body in script');
  return (match[1] as string).replaceAll("'\\''", "'");
}

export type Seen = {
  host: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  /** Set when the response went out (handlers may hold a request). */
  answeredAt?: number;
  seq: number;
};
export type Responder = (req: Seen) => Promise<Response> | Response;

/** One HTTP server standing in for every example host, recording each request in arrival order. */
export async function startStandIns(defaults: Record<string, unknown>) {
  const seen: Seen[] = [];
  const overrides = new Map<string, Responder>();
  let seq = 0;
  const app = new Hono().all('/:host/*', async (c) => {
    const host = c.req.param('host');
    const url = new URL(c.req.url);
    const path = url.pathname.slice(host.length + 1);
    const text = await c.req.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    const req: Seen = {
      host,
      path: `${path}${url.search}`,
      method: c.req.method,
      headers: Object.fromEntries(c.req.raw.headers),
      body,
      seq: ++seq,
    };
    seen.push(req);
    const key = `${host}${path}`;
    const override = overrides.get(key);
    const response = override
      ? await override(req)
      : key in defaults
        ? Response.json(defaults[key])
        : Response.json({ error: `no stand-in for ${key}` }, { status: 404 });
    req.answeredAt = ++seq;
    return response;
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    seen,
    /** Requests one execution made (its steps send `Idempotency-Key: <executionId>:<step>`). */
    of: (executionId: string) =>
      seen.filter((r) => (r.headers['idempotency-key'] ?? '').startsWith(`${executionId}:`)),
    /** Workflow webhooks (onStep/onComplete/onFailure) about one execution, from the engine's outbox. */
    hooksOf: (executionId: string) =>
      seen.filter(
        (r) =>
          (r.headers['idempotency-key'] ?? '').startsWith('outbox-') &&
          (r.body as { executionId?: string } | undefined)?.executionId === executionId,
      ),
    on(key: string, responder: Responder) {
      overrides.set(key, responder);
    },
    reset() {
      overrides.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type StandIns = Awaited<ReturnType<typeof startStandIns>>;

export type ScriptRun = { outputs: string[]; statuses: number[]; stderr: string };

/**
 * Runs an example script with bash, as written except for `rewriteOrigins` and `replace`.
 * Blocks (separated by blank lines) run in one shell, so variables carry over (EXEC_ID);
 * each block's stdout is returned separately. `curl` is wrapped only to report each HTTP
 * status on stderr and silence the progress meter: what it prints on stdout is untouched, so
 * pipes into jq work as in the doc. A `watch -n 1 "CMD"` block (interactive, never ends)
 * becomes a loop running CMD once a second until it prints a terminal status.
 */
export async function runScript(
  script: string,
  options: { apiUrl: string; standInUrl: string; cwd: string; replace?: Record<string, string> },
): Promise<ScriptRun> {
  let text = rewriteOrigins(script, options.apiUrl, options.standInUrl);
  for (const [from, to] of Object.entries(options.replace ?? {})) text = text.replaceAll(from, to);
  const blocks = text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b.split('\n').some((line) => line.trim() && !line.trim().startsWith('#')))
    .map((b) => {
      const watch = /^(?:#[^\n]*\n)*watch -n (\d+) "([^\n]*)"$/.exec(b);
      if (!watch) return b;
      return `for _ in $(seq 1 120); do out=$(${watch[2]}); case "$out" in *completed*|*failed*|*cancelled*) break;; esac; sleep ${watch[1]}; done; printf '%s' "$out"`;
    });
  const prelude = `set -eo pipefail
curl() { command curl -sS --write-out '%{stderr}::status %{http_code}::\\n' "$@"; }
`;
  const body = blocks.join(`\nprintf '\\n::block::\\n'\n`);
  const child = spawn('bash', ['-c', prelude + body], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`script exited ${code}: ${stderr}\n${stdout}`);
  return {
    outputs: stdout.split('\n::block::\n').map((s) => s.trim()),
    statuses: [...stderr.matchAll(/::status (\d+)::/g)].map((m) => Number(m[1])),
    stderr,
  };
}

/** Polls GET /executions/:id until `check` holds (a bound on waiting, never an assertion on time). */
export async function pollExecution<T = Record<string, unknown>>(
  apiUrl: string,
  id: string,
  check: (view: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const response = await fetch(`${apiUrl}/executions/${id}`);
    last = await response.json();
    if (response.ok && check(last as T)) return last as T;
    if (Date.now() > deadline)
      throw new Error(`execution ${id} never reached the expected state; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const isDone = (v: { status?: string }) =>
  ['completed', 'failed', 'cancelled', 'compensated'].includes(v.status ?? '');

/** A promise with its resolve, for holding a stand-in response until the test lets it go. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
