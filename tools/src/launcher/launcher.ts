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
import { freePort } from './ports';
import { waitReady } from './readiness';
import { loadTopology, REPO_ROOT } from './registry';
import type { ProcessSpec, Topology, TopologyContext } from './topology';

export type UpOptions = {
  settings?: Record<string, string>;
  /** names the instance's run folder (.run/<instance>); default: unique per call */
  instance?: string;
  /** print progress lines */
  verbose?: boolean;
  /** reattach to a running instance without starting anything */
  attachOnly?: boolean;
  /** leave the processes running when this process exits (the CLI's `up`) */
  persist?: boolean;
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
  logPath(name: string): string;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  restart(name: string): Promise<void>;
  down(): Promise<void>;
};

const RUN_ROOT = join(REPO_ROOT, '.run');
const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};
const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Signals a process group (the spawned process and anything it started, e.g. go or tsx children).
 * Only the group: a bare pid may already belong to an unrelated process (pids wrap here).
 */
function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

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
  const log = (line: string) => options.verbose && console.error(`[launcher] ${line}`);
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

  async function start(p: ProcessSpec) {
    const logOffset = existsSync(logPath(p.name)) ? statSync(logPath(p.name)).size : 0;
    const fd = openSync(logPath(p.name), 'a');
    const child = spawn(p.command, p.args ?? [], {
      cwd: p.cwd ?? REPO_ROOT,
      env: { ...process.env, ...topology.sharedEnv, ...everyProcessEnv(state.settings), ...p.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.unref();
    child.on('error', (error) => console.error(`[launcher] ${p.name}: ${error.message}`));
    // Forget the group as soon as it exits, so the exit hook never signals a reused pid.
    child.on('exit', (code, signal) => {
      liveGroups.delete(child.pid!);
      // A native crash (SIGSEGV) prints nothing itself; say it in the process's log.
      appendFileSync(
        logPath(p.name),
        `[launcher] ${p.name} (pid ${child.pid}) exited: code ${code}, signal ${signal}\n`,
      );
    });
    children.set(p.name, child);
    state.pids[p.name] = child.pid!;
    if (!options.persist) liveGroups.add(child.pid!);
    save();
    const began = Date.now();
    await waitReady(
      p.name,
      p.ready,
      logPath(p.name),
      () => isAlive(p.name),
      p.readyTimeoutMs ?? 120_000,
      logOffset,
    );
    log(`${p.name} ready in ${Date.now() - began} ms (pid ${child.pid}, log ${logPath(p.name)})`);
  }

  async function stop(name: string, signal: NodeJS.Signals) {
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

  const handle: StackHandle = {
    stack,
    runDir,
    topology,
    apiUrl: topology.apiUrl ?? '',
    llmUrl: topology.llmUrl ?? '',
    env: topology.sharedEnv ?? {},
    processes: topology.processes,
    pid: (name) => state.pids[name],
    logPath,
    async kill(name, signal = 'SIGKILL') {
      spec(name);
      log(`${signal} ${name}`);
      await stop(name, signal);
    },
    async restart(name) {
      const p = spec(name);
      if (isAlive(name)) await stop(name, 'SIGTERM');
      log(`restarting ${name}`);
      await start(p);
    },
    async down() {
      for (const p of startOrder(topology.processes).reverse()) await stop(p.name, 'SIGTERM');
      log(`${stack} is down`);
    },
  };

  if (options.attachOnly) return handle;
  try {
    for (const p of startOrder(topology.processes)) {
      if (isAlive(p.name)) continue; // `up` again on a running instance only starts what is missing
      log(`starting ${p.name}`);
      await start(p);
    }
  } catch (error) {
    await handle.down();
    throw error;
  }
  return handle;
}

/** Reattaches to an instance started by another process (the CLI's kill/restart/down). */
export async function attachStack(instance: string): Promise<StackHandle> {
  const statePath = join(RUN_ROOT, instance, 'state.json');
  if (!existsSync(statePath)) throw new Error(`no running instance "${instance}" (looked for ${statePath})`);
  const state: State = JSON.parse(readFileSync(statePath, 'utf8'));
  return upStack(state.stack, {
    instance,
    settings: state.settings,
    verbose: true,
    attachOnly: true,
    persist: true,
  });
}
