import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive as alive, groupAlive, signalGroup } from './pids';
import { freePort } from './ports';
import { waitReady } from './readiness';
import { loadTopology, REPO_ROOT, RUN_ROOT } from './registry';
import type { ProcessSpec, Topology, TopologyContext } from './topology';

export type UpOptions = {
  settings?: Record<string, string>;
  /** names the instance's run folder (.run/<instance>); default: unique per call */
  instance?: string;
  /** print progress lines */
  verbose?: boolean;
  /** leave the processes running when this process exits (the CLI's supervisor) */
  persist?: boolean;
  /** restart a process that exits on its own, like compose's `restart: unless-stopped` (default true) */
  supervise?: boolean;
  /** where progress lines go (default: stderr when verbose) */
  onLog?: (line: string) => void;
};

type State = {
  stack: string;
  instance: string;
  settings: Record<string, string>;
  ports: Record<string, number>;
  pids: Record<string, number>;
};

export type StackHandle = {
  stack: string;
  runDir: string;
  topology: Topology;
  apiUrl: string;
  llmUrl: string;
  env: Record<string, string>;
  processes: ProcessSpec[];
  pid(name: string): number | undefined;
  /** whether the process is running now (a supervisor restarts it when it is not) */
  alive(name: string): boolean;
  logPath(name: string): string;
  /** fault injection: signal one process and keep it stopped (no supervised restart) until `restart` */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** fault injection: signal one process and leave it to the supervisor, as if it had crashed */
  crash(name: string, signal?: NodeJS.Signals): Promise<void>;
  restart(name: string): Promise<void>;
  /** resolves once the process is running and ready (after a supervised restart, too) */
  whenReady(name: string, timeoutMs?: number): Promise<void>;
  /** per process: running, ready, wanted (not stopped by kill/down) and supervised restarts so far */
  status(): ProcessStatus[];
  /** starts every process that is not running, in dependency order (`up` on a running instance) */
  startMissing(): Promise<void>;
  down(): Promise<void>;
};

export type ProcessStatus = {
  name: string;
  pid: number | undefined;
  running: boolean;
  ready: boolean;
  wanted: boolean;
  restarts: number;
  log: string;
};

/**
 * With INVOICE_TRACE_CONNECT_DIR set (the no-outbound test), every process runs under
 * `strace -f -e trace=connect`, appending to <dir>/<process>.trace, so each connect(2) of the
 * process or any of its children and threads is on record under the process's name.
 * --seccomp-bpf stops the tracee only at connect(2), not at every syscall: the same record, and
 * Prefect's Python start-up no longer runs four times slower under the tracer.
 */
function traced(p: ProcessSpec, dir: string | undefined): [string, string[]] {
  if (!dir) return [p.command, p.args ?? []];
  const out = join(dir, `${p.name}.trace`);
  return [
    'strace',
    ['-f', '--seccomp-bpf', '-qq', '-A', '-e', 'trace=connect', '-o', out, p.command, ...(p.args ?? [])],
  ];
}

/**
 * Supervision of one process, the way Docker applies `restart: unless-stopped`: a process that
 * exits on its own is started again after a delay that doubles from 100 ms (Docker's documented
 * backoff), capped at 10 s here, and reset once the process stayed up for 10 s; one stopped on
 * purpose (kill, down) stays stopped until it is started explicitly.
 */
type Supervision = {
  wanted: boolean;
  ready: boolean;
  restarts: number;
  backoffMs: number;
  startedAt: number;
  /** ready at least once: a process that dies during `up` fails `up` instead of looping */
  wasReady: boolean;
  timer?: NodeJS.Timeout;
};
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
const STABLE_AFTER_MS = 10_000;

/** Dependency order: a process comes after everything it dependsOn; otherwise file order. */
function startOrder(processes: ProcessSpec[]): ProcessSpec[] {
  const byName = new Map(processes.map((p) => [p.name, p]));
  const ordered: ProcessSpec[] = [];
  const visit = (p: ProcessSpec, path: string[]) => {
    if (ordered.includes(p)) return;
    if (path.includes(p.name)) throw new Error(`dependency cycle: ${[...path, p.name].join(' -> ')}`);
    for (const dep of p.dependsOn ?? []) {
      const d = byName.get(dep);
      if (!d) throw new Error(`${p.name} depends on unknown process ${dep}`);
      visit(d, [...path, p.name]);
    }
    ordered.push(p);
  };
  for (const p of processes) visit(p, []);
  return ordered;
}

/**
 * Settings every process of every stack sees as env, whatever its topology passes on:
 * ACTIVITY_MODE is read where the activities are built (shared/src/flow/activities.ts).
 */
const EVERY_PROCESS_SETTINGS = ['ACTIVITY_MODE'];
const everyProcessEnv = (settings: Record<string, string>) =>
  Object.fromEntries(Object.entries(settings).filter(([k]) => EVERY_PROCESS_SETTINGS.includes(k)));

const liveGroups = new Set<number>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test runner that dies must not leave engines running behind it.
  process.on('exit', () => {
    for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
  });
  // Ctrl-C or a SIGTERM to a benchmark must not leave its engines behind either.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

async function buildTopology(
  stack: string,
  runDir: string,
  settings: Record<string, string>,
  ports: Record<string, number>,
) {
  const factory = await loadTopology(stack);
  const ctx: TopologyContext = {
    runDir,
    repoRoot: REPO_ROOT,
    settings,
    async port(name) {
      ports[name] ??= await freePort();
      return ports[name]!;
    },
  };
  return factory(ctx);
}

/** Starts a stack's processes in dependency order and waits until each is ready. */
export async function upStack(stack: string, options: UpOptions = {}): Promise<StackHandle> {
  if (!options.persist) installExitHook();
  const instance = options.instance ?? `${stack}-${randomBytes(3).toString('hex')}`;
  const runDir = join(RUN_ROOT, instance);
  const statePath = join(runDir, 'state.json');
  const saved: State | undefined = existsSync(statePath)
    ? JSON.parse(readFileSync(statePath, 'utf8'))
    : undefined;
  // A stopped instance starts afresh with the settings given now; a running one keeps its own.
  const previous = saved && Object.values(saved.pids).some(groupAlive) ? saved : undefined;
  const state: State = previous ?? { stack, instance, settings: options.settings ?? {}, ports: {}, pids: {} };
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const topology = await buildTopology(stack, runDir, state.settings, state.ports);
  const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
  const children = new Map<string, ChildProcess>();
  const supervise = options.supervise ?? true;
  const supervision = new Map<string, Supervision>(
    topology.processes.map((p) => [
      p.name,
      {
        wanted: false,
        ready: false,
        restarts: 0,
        backoffMs: FIRST_BACKOFF_MS,
        startedAt: 0,
        wasReady: false,
      },
    ]),
  );
  const sup = (name: string) => supervision.get(name)!;
  const log = (line: string) => {
    if (options.onLog) options.onLog(line);
    else if (options.verbose) console.error(`[launcher] ${line}`);
  };
  const logPath = (name: string) => join(runDir, 'logs', `${name}.log`);
  const spec = (name: string) => {
    const p = topology.processes.find((x) => x.name === name);
    if (!p)
      throw new Error(
        `${stack} has no process "${name}"; it has ${topology.processes.map((x) => x.name).join(', ')}`,
      );
    return p;
  };
  const isAlive = (name: string) => {
    const child = children.get(name);
    return child ? child.exitCode === null && child.signalCode === null : alive(state.pids[name]);
  };

  /** An exit nobody asked for: log it and start the process again after the backoff. */
  function scheduleRestart(p: ProcessSpec, how: string) {
    const s = sup(p.name);
    if (Date.now() - s.startedAt >= STABLE_AFTER_MS) s.backoffMs = FIRST_BACKOFF_MS;
    const delay = s.backoffMs;
    s.backoffMs = Math.min(s.backoffMs * 2, MAX_BACKOFF_MS);
    log(`${p.name} exited on its own (${how}); restarting in ${delay} ms (restart ${s.restarts + 1})`);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (!s.wanted || isAlive(p.name)) return;
      s.restarts++;
      // A start that fails (the process dies again) schedules the next attempt from its exit.
      start(p).catch((error: Error) =>
        log(`${p.name}: supervised restart failed: ${error.message.split('\n')[0]}`),
      );
    }, delay);
    s.timer.unref();
  }

  async function start(p: ProcessSpec) {
    const s = sup(p.name);
    const logOffset = existsSync(logPath(p.name)) ? statSync(logPath(p.name)).size : 0;
    const fd = openSync(logPath(p.name), 'a');
    const [command, args] = traced(p, process.env.INVOICE_TRACE_CONNECT_DIR);
    const child = spawn(command, args, {
      cwd: p.cwd ?? REPO_ROOT,
      env: { ...process.env, ...topology.sharedEnv, ...everyProcessEnv(state.settings), ...p.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.unref();
    child.on('error', (error) => log(`${p.name}: ${error.message}`));
    // Forget the group as soon as it exits, so the exit hook never signals a reused pid.
    child.on('exit', (code, signal) => {
      liveGroups.delete(child.pid!);
      const current = children.get(p.name) === child;
      if (current) s.ready = false;
      const unplanned = current && s.wanted && supervise && s.wasReady;
      // A native crash (SIGSEGV) prints nothing itself; say it in the process's log.
      appendFileSync(
        logPath(p.name),
        `[launcher] ${p.name} (pid ${child.pid}) exited: code ${code}, signal ${signal}${unplanned ? '; the supervisor restarts it' : ''}\n`,
      );
      if (unplanned) scheduleRestart(p, `code ${code}, signal ${signal}`);
    });
    children.set(p.name, child);
    s.wanted = true;
    s.ready = false;
    s.startedAt = Date.now();
    state.pids[p.name] = child.pid!;
    if (!options.persist) liveGroups.add(child.pid!);
    save();
    const began = Date.now();
    await waitReady(
      p.name,
      p.ready,
      logPath(p.name),
      () => isAlive(p.name) && children.get(p.name) === child,
      p.readyTimeoutMs ?? 120_000,
      logOffset,
    );
    if (children.get(p.name) === child) s.ready = s.wasReady = true;
    log(`${p.name} ready in ${Date.now() - began} ms (pid ${child.pid}, log ${logPath(p.name)})`);
  }

  async function stop(name: string, signal: NodeJS.Signals) {
    const s = sup(name);
    // Stopped on purpose: no supervised restart until someone starts it again.
    s.wanted = false;
    clearTimeout(s.timer);
    s.timer = undefined;
    const pid = state.pids[name];
    if (!pid) return;
    signalGroup(pid, signal);
    const deadline = Date.now() + (signal === 'SIGKILL' ? 5_000 : 10_000);
    while (isAlive(name) && Date.now() < deadline) await sleep(50);
    if (isAlive(name)) {
      signalGroup(pid, 'SIGKILL');
      while (isAlive(name)) await sleep(50);
    }
    liveGroups.delete(pid);
    delete state.pids[name];
    save();
  }

  async function startMissing() {
    for (const p of startOrder(topology.processes)) {
      if (isAlive(p.name)) continue; // `up` again on a running instance only starts what is missing
      clearTimeout(sup(p.name).timer);
      log(`starting ${p.name}`);
      await start(p);
    }
  }

  const handle: StackHandle = {
    stack,
    runDir,
    topology,
    apiUrl: topology.apiUrl ?? '',
    llmUrl: topology.llmUrl ?? '',
    env: topology.sharedEnv ?? {},
    processes: topology.processes,
    pid: (name) => state.pids[name],
    alive: (name) => isAlive(spec(name).name),
    logPath,
    async kill(name, signal = 'SIGKILL') {
      spec(name);
      log(`${signal} ${name} (stays stopped until restart)`);
      await stop(name, signal);
    },
    async crash(name, signal = 'SIGKILL') {
      spec(name);
      const pid = state.pids[name];
      log(`${signal} ${name} (left to the supervisor)`);
      if (!pid) return;
      signalGroup(pid, signal);
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM') return; // e.g. SIGHUP: the process decides
      const deadline = Date.now() + 10_000;
      while (state.pids[name] === pid && isAlive(name) && Date.now() < deadline) await sleep(20);
    },
    async restart(name) {
      const p = spec(name);
      if (isAlive(name)) await stop(name, 'SIGTERM');
      clearTimeout(sup(name).timer);
      log(`restarting ${name}`);
      await start(p);
    },
    async whenReady(name, timeoutMs = 120_000) {
      spec(name);
      const deadline = Date.now() + timeoutMs;
      while (!(sup(name).ready && isAlive(name))) {
        if (Date.now() > deadline) throw new Error(`${name} not ready again after ${timeoutMs} ms`);
        if (!sup(name).wanted) throw new Error(`${name} is stopped; restart it first`);
        await sleep(50);
      }
    },
    status: () =>
      topology.processes.map((p) => ({
        name: p.name,
        pid: state.pids[p.name],
        running: isAlive(p.name),
        ready: sup(p.name).ready && isAlive(p.name),
        wanted: sup(p.name).wanted,
        restarts: sup(p.name).restarts,
        log: logPath(p.name),
      })),
    startMissing,
    async down() {
      for (const p of topology.processes) sup(p.name).wanted = false;
      for (const p of startOrder(topology.processes).reverse()) await stop(p.name, 'SIGTERM');
      log(`${stack} is down`);
    },
  };

  try {
    await startMissing();
  } catch (error) {
    await handle.down();
    throw error;
  }
  return handle;
}
