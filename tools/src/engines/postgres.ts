import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A throwaway PostgreSQL cluster from the Debian binaries: initdb in a folder, postgres on a
 * free 127.0.0.1 port, trust auth for user `postgres`. PostgreSQL refuses to run as root, and
 * CI runs as root, so then every command runs as the `postgres` system user via runuser, on a
 * folder that user owns.
 *
 * Library: `startPostgres()` (tests: once per file in beforeAll). CLI (launcher process):
 * `tsx tools/src/engines/postgres.ts --dir <data> --port <n>` runs it in the foreground.
 */

export type PostgresInstance = {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
};

const versionOf = (dir: string) => Number(dir) || 0;

/** The newest /usr/lib/postgresql/<v>/bin, or POSTGRES_BIN_DIR; installs the Debian package if missing. */
export function postgresBinDir(): string {
  if (process.env.POSTGRES_BIN_DIR) return process.env.POSTGRES_BIN_DIR;
  const find = () => {
    const root = '/usr/lib/postgresql';
    if (!existsSync(root)) return undefined;
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
      .sort((a, b) => versionOf(b) - versionOf(a));
    return versions[0] ? join(root, versions[0], 'bin') : undefined;
  };
  let dir = find();
  if (!dir && process.getuid?.() === 0) {
    console.error('[postgres] binaries missing: apt-get install postgresql');
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    dir = find();
  }
  if (!dir)
    throw new Error('PostgreSQL binaries not found: apt-get install postgresql, or set POSTGRES_BIN_DIR');
  return dir;
}

const asRoot = () => process.getuid?.() === 0;

function pgUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** [command, args] that run `bin` as a user PostgreSQL accepts. */
function command(bin: string, args: string[]): [string, string[]] {
  return asRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * As root, the cluster folder must be reachable by the `postgres` user. A clone under /root
 * (mode 700) is not, so then the cluster goes under the temp folder instead, at a path derived
 * from the one asked for (stable across restarts of the same stack instance).
 */
export function usableDataDir(dataDir: string): string {
  if (!asRoot()) return dataDir;
  mkdirSync(dataDir, { recursive: true });
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dataDir]).status === 0;
  if (reachable) return dataDir;
  const fallback = join(
    tmpdir(),
    `invoice-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`,
  );
  console.error(`[postgres] ${dataDir} is not reachable by the postgres user; using ${fallback}`);
  return fallback;
}

/** initdb into `dataDir` unless it already holds a cluster. */
export function initCluster(dataDir: string) {
  const bin = postgresBinDir();
  mkdirSync(dataDir, { recursive: true });
  if (asRoot()) {
    const { uid, gid } = pgUser();
    chownSync(dataDir, uid, gid);
  }
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const [cmd, args] = command(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '--username=postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function postgresArgs(dataDir: string, port: number): string[] {
  return [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    // The socket goes in the data folder: /var/run/postgresql may not exist or be writable.
    '-k',
    dataDir,
    '-c',
    'max_connections=300',
    '-c',
    'shared_buffers=64MB',
  ];
}

export function spawnPostgres(
  dataDir: string,
  port: number,
  stdio: 'inherit' | 'ignore' = 'ignore',
): ChildProcess {
  const [cmd, args] = command(join(postgresBinDir(), 'postgres'), postgresArgs(dataDir, port));
  return spawn(cmd, args, { stdio: ['ignore', stdio, stdio] });
}

/** Polls pg_isready (a Debian binary, so this helper needs no npm driver). */
async function waitReady(port: number, timeoutMs: number, child: ChildProcess) {
  const isReady = join(postgresBinDir(), 'pg_isready');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const p = spawn(
        isReady,
        ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres'],
        {
          stdio: 'ignore',
        },
      );
      p.on('exit', (code) => resolve(code === 0));
      p.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`postgres on port ${port} not ready after ${timeoutMs} ms`);
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A restart right after a SIGKILL of the launcher's process group can find the old postmaster
 * still exiting, or dead but not yet reaped (a zombie: its parent, runuser, died with it, and
 * the container's pid 1 reaps late). postgres counts a zombie as alive (`kill(pid, 0)` succeeds)
 * and refuses to start ("lock file postmaster.pid already exists", the same for the socket's). So: wait (up to 15 s) while
 * the old postmaster runs, and remove the lock file of one that is dead.
 */
async function untilPreviousPostmasterGone(dataDir: string) {
  const deadline = Date.now() + 15_000;
  for (let pid = postmasterPid(dataDir); pid && Date.now() < deadline; ) {
    let state = '';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
    } catch {
      return; // no such process
    }
    if (state === 'Z' || state === 'X') {
      // Its lock files: the data folder's and the socket's (the socket lives in the data folder).
      for (const name of readdirSync(dataDir).filter(
        (f) => f === 'postmaster.pid' || /^\.s\.PGSQL\.\d+\.lock$/.test(f),
      ))
        rmSync(join(dataDir, name), { force: true });
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPostgres(
  options: { port?: number; baseDir?: string } = {},
): Promise<PostgresInstance> {
  // Under /tmp rather than the repo: the postgres user must be able to reach every parent folder.
  const dataDir = mkdtempSync(join(options.baseDir ?? tmpdir(), 'ce-pg-'));
  initCluster(dataDir);
  const port = options.port ?? (await freePort());
  const child = spawnPostgres(dataDir, port);
  const pidOf = () => postmasterPid(dataDir) ?? child.pid;
  // If the test process dies first, do not leave a postmaster behind.
  const onExit = () => {
    const pid = pidOf();
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {}
    }
  };
  process.on('exit', onExit);
  await waitReady(port, 30_000, child);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    pid: pidOf() ?? 0,
    async stop() {
      process.off('exit', onExit);
      const pid = pidOf();
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      if (pid) {
        try {
          process.kill(pid, 'SIGINT'); // fast shutdown
        } catch {}
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// CLI: a foreground postgres for the launcher; exits with it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const dataDir = usableDataDir(arg('dir') ?? mkdtempSync(join(tmpdir(), 'ce-pg-')));
  const port = Number(arg('port') ?? 5432);
  initCluster(dataDir);
  await untilPreviousPostmasterGone(dataDir);
  const child = spawnPostgres(dataDir, port, 'inherit');
  const stop = () => {
    const pid = postmasterPid(dataDir) ?? child.pid;
    if (pid) process.kill(pid, 'SIGINT');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  waitReady(port, 30_000, child).then(
    () => console.log(`postgres ready on 127.0.0.1:${port} (data ${dataDir})`),
    (error) => {
      console.error(String(error));
      stop();
    },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
}
