import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readiness } from './topology';

async function probe(ready: Readiness, logPath: string, logOffset: number): Promise<boolean> {
  if ('http' in ready) {
    try {
      const response = await fetch(ready.http, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return ready.expectStatus ? response.status === ready.expectStatus : response.ok;
    } catch {
      return false;
    }
  }
  if ('tcp' in ready) {
    return new Promise((resolve) => {
      const socket = connect(ready.tcp, '127.0.0.1');
      socket.once('connect', () => resolve(!!socket.end()));
      socket.once('error', () => resolve(false));
    });
  }
  // Only what this start wrote: the log is appended to across restarts.
  const log = await readFile(logPath).catch(() => Buffer.alloc(0));
  return ready.log.test(log.subarray(logOffset).toString('utf8'));
}

/** Polls until ready; fails fast if the process dies first. */
export async function waitReady(
  name: string,
  ready: Readiness | undefined,
  logPath: string,
  isAlive: () => boolean,
  timeoutMs: number,
  logOffset = 0,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive())
      throw new Error(`${name} exited before it was ready; see ${logPath}:\n${await tail(logPath)}`);
    if (!ready || (await probe(ready, logPath, logOffset))) return;
    if (Date.now() > deadline)
      throw new Error(`${name} not ready after ${timeoutMs} ms; see ${logPath}:\n${await tail(logPath)}`);
    await sleep(100);
  }
}

export async function tail(path: string, lines = 30): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}
