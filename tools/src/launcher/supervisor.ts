import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveControl, statusOf } from './control';
import { type StackHandle, upStack } from './launcher';
import { RUN_ROOT } from './registry';

/**
 * The process `pnpm stack up` leaves behind for one instance (started by control.ts): it brings
 * the stack up, restarts what exits on its own, and serves the CLI's status/kill/restart/down.
 * argv: <stack> <instance> <settings as JSON>. Its own log is .run/<instance>/logs/launcher.log.
 */
const [stack = '', instance = '', settingsJson = '{}'] = process.argv.slice(2);
const logFile = join(RUN_ROOT, instance, 'logs', 'launcher.log');
const say = (line: string) => {
  appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  if (process.connected) process.send?.({ line });
};

let handle: StackHandle | undefined;
let stopping = false;
async function shutDown(code: number) {
  if (stopping) return;
  stopping = true;
  await handle?.down();
  process.exit(code);
}
// SIGTERM/Ctrl-C to the supervisor brings its stack down, as stopping `docker compose up` does.
process.on('SIGTERM', () => void shutDown(143));
process.on('SIGINT', () => void shutDown(130));
// The CLI that started us goes away once the stack is up; that must not stop us.
process.on('disconnect', () => {});

try {
  handle = await upStack(stack, { instance, settings: JSON.parse(settingsJson), persist: true, onLog: say });
  await serveControl(handle, instance, () => {
    say(`${stack} is down; supervisor exits`);
    process.exit(0);
  });
  say(`supervising ${stack} (pid ${process.pid})`);
  process.send?.({ ready: statusOf(handle, instance) });
} catch (error) {
  // The CLI prints the error itself; the log keeps it too.
  appendFileSync(logFile, `${new Date().toISOString()} up failed: ${(error as Error).message}\n`);
  process.send?.({ error: (error as Error).message });
  process.exit(1);
}
