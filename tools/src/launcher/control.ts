import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessStatus, StackHandle } from './launcher';
import { groupAlive, pidAlive, signalGroup } from './pids';
import { tail } from './readiness';
import { REPO_ROOT, RUN_ROOT } from './registry';

/**
 * The CLI's `up` leaves a supervisor process behind, one per instance: it holds the stack's
 * handle (so it restarts what exits on its own) and answers the CLI's status/kill/restart/down
 * on a loopback port. Attaching is a request to it, never a rebuild of the topology: nothing a
 * running process watches (Dapr's resources folder) is written, and only the named process is
 * signalled.
 */
const infoPath = (instance: string) => join(RUN_ROOT, instance, 'supervisor.json');

type SupervisorInfo = { pid: number; port: number; token: string };
export type StackStatus = {
  stack: string;
  instance: string;
  apiUrl: string;
  llmUrl: string;
  links: Record<string, string>;
  runDir: string;
  supervised: boolean;
  processes: ProcessStatus[];
};

export function statusOf(handle: StackHandle, instance: string): StackStatus {
  return {
    stack: handle.stack,
    instance,
    apiUrl: handle.apiUrl,
    llmUrl: handle.llmUrl,
    links: handle.topology.links ?? {},
    runDir: handle.runDir,
    supervised: true,
    processes: handle.status(),
  };
}

/** Serves the control requests for one instance; resolves once supervisor.json names the port. */
export async function serveControl(handle: StackHandle, instance: string, onDown: () => void): Promise<void> {
  const token = randomBytes(16).toString('hex');
  const server = createServer((req, res) => {
    route(req, res).catch((error: Error) => reply(res, 400, { error: error.message }));
  });
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  async function route(req: IncomingMessage, res: ServerResponse) {
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, { error: 'bad token' });
    const url = new URL(req.url ?? '/', 'http://supervisor');
    const name = url.searchParams.get('process') ?? '';
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /status':
        return reply(res, 200, statusOf(handle, instance));
      case 'POST /up':
        await handle.startMissing();
        return reply(res, 200, statusOf(handle, instance));
      case 'POST /kill':
        await handle.kill(name);
        return reply(res, 200, statusOf(handle, instance));
      case 'POST /restart':
        await handle.restart(name);
        return reply(res, 200, statusOf(handle, instance));
      case 'POST /down':
        await handle.down();
        reply(res, 200, statusOf(handle, instance));
        server.close();
        rmSync(infoPath(instance), { force: true });
        return onDown();
      default:
        return reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const info: SupervisorInfo = { pid: process.pid, port: (server.address() as AddressInfo).port, token };
  writeFileSync(infoPath(instance), JSON.stringify(info), { mode: 0o600 });
}

function runningSupervisor(instance: string): SupervisorInfo | undefined {
  if (!existsSync(infoPath(instance))) return undefined;
  const info = JSON.parse(readFileSync(infoPath(instance), 'utf8')) as SupervisorInfo;
  return pidAlive(info.pid) ? info : undefined;
}

/** One request to the instance's supervisor; undefined when no supervisor runs for it. */
export async function askSupervisor(
  instance: string,
  method: 'GET' | 'POST',
  path: string,
): Promise<StackStatus | undefined> {
  const info = runningSupervisor(instance);
  if (!info) return undefined;
  const response = await fetch(`http://127.0.0.1:${info.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${info.token}` },
  });
  const body = (await response.json()) as StackStatus & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `supervisor answered ${response.status}`);
  return body;
}

/**
 * Starts the supervisor of a new instance, detached, relays its progress lines and resolves when
 * every process is ready (the supervisor keeps running; the caller may exit).
 */
export async function startSupervisor(
  stack: string,
  instance: string,
  settings: Record<string, string>,
  onLine: (line: string) => void,
): Promise<StackStatus> {
  const logs = join(RUN_ROOT, instance, 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, 'launcher.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'tools/src/launcher/supervisor.ts'),
      stack,
      instance,
      JSON.stringify(settings),
    ],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', out, out, 'ipc'] },
  );
  closeSync(out);
  return new Promise((resolve, reject) => {
    child.on('message', (message: { line?: string; ready?: StackStatus; error?: string }) => {
      if (message.line) onLine(message.line);
      if (message.ready) {
        child.disconnect();
        child.unref();
        resolve(message.ready);
      }
      if (message.error) reject(new Error(message.error));
    });
    child.on('exit', async (code, signal) => {
      reject(
        new Error(
          `the supervisor exited (code ${code}, signal ${signal}); ${logFile}:\n${await tail(logFile)}`,
        ),
      );
    });
  });
}

type SavedState = { stack: string; pids: Record<string, number> };
const statePath = (instance: string) => join(RUN_ROOT, instance, 'state.json');

/** What state.json says, for an instance whose supervisor is gone: read only, nothing rebuilt. */
export function unsupervisedStatus(instance: string): StackStatus {
  if (!existsSync(statePath(instance)))
    throw new Error(`no instance "${instance}" (looked for ${statePath(instance)})`);
  const saved = JSON.parse(readFileSync(statePath(instance), 'utf8')) as SavedState;
  const runDir = join(RUN_ROOT, instance);
  return {
    stack: saved.stack,
    instance,
    apiUrl: '',
    llmUrl: '',
    links: {},
    runDir,
    supervised: false,
    processes: Object.entries(saved.pids).map(([name, pid]) => ({
      name,
      pid,
      running: groupAlive(pid),
      ready: false,
      wanted: false,
      restarts: 0,
      log: join(runDir, 'logs', `${name}.log`),
    })),
  };
}

/** Stops the processes state.json lists when their supervisor is gone (SIGTERM, SIGKILL after 10 s). */
export async function downUnsupervised(instance: string): Promise<void> {
  const saved = JSON.parse(readFileSync(statePath(instance), 'utf8')) as SavedState;
  const groups = Object.values(saved.pids).filter(groupAlive);
  const signal = (s: NodeJS.Signals) => {
    for (const pid of groups) {
      signalGroup(pid, s);
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (groups.some(groupAlive) && Date.now() < deadline) await sleep(100);
  signal('SIGKILL');
  writeFileSync(statePath(instance), JSON.stringify({ ...saved, pids: {} }, null, 2));
}
