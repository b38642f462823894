import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, RUN_ROOT } from '../launcher/registry';

/**
 * Runs a README command the way a new user types it in a new shell after the two setup
 * commands: a clean environment (env -i) with only HOME and the PATH a login gives (the system
 * folders and ~/.local/bin, where bootstrap links pnpm when it cannot install it beside node),
 * from the repo root. So `pnpm` must be on that PATH by itself; each call is a separate process.
 */
export function inCleanShell(command: string): { code: number | null; out: string; err: string } {
  const env = [`PATH=${homedir()}/.local/bin:/usr/local/bin:/usr/bin:/bin`, `HOME=${homedir()}`];
  if (process.env.INVOICE_CACHE_DIR) env.push(`INVOICE_CACHE_DIR=${process.env.INVOICE_CACHE_DIR}`);
  const run = spawnSync('env', ['-i', ...env, 'bash', '-c', command], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** The pids a CLI-started instance recorded in .run/<instance>/state.json. */
export const instancePids = (instance: string) =>
  JSON.parse(readFileSync(join(RUN_ROOT, instance, 'state.json'), 'utf8')).pids as Record<string, number>;

/** The pid of the supervisor `pnpm stack up` left behind for an instance. */
export const supervisorPid = (instance: string) =>
  (JSON.parse(readFileSync(join(RUN_ROOT, instance, 'supervisor.json'), 'utf8')) as { pid: number }).pid;
