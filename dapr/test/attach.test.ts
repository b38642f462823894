import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_ROOT } from '@invoice/tools/launcher/registry';
import { inCleanShell, instancePids } from '@invoice/tools/testing/clean-shell';
import { expectGolden, runToEnd, sample } from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A Dapr stack started with the README's `pnpm stack up`, then attached to from other processes
// (`status`, `kill`, `restart`): attaching must touch no file a running daprd watches and signal
// no process but the one named. Seen before: every status rewrote dapr-resources/ and each
// daprd restarted its runtime ("Received signal 'hangup'; restarting").
const instance = `dapr-attach-${randomBytes(3).toString('hex')}`;
const runDir = join(RUN_ROOT, instance);
const pids = () => instancePids(instance);
const log = (name: string) => readFileSync(join(runDir, 'logs', `${name}.log`), 'utf8');
const resources = () =>
  Object.fromEntries(
    readdirSync(join(runDir, 'dapr-resources')).map((f) => [
      f,
      statSync(join(runDir, 'dapr-resources', f)).mtimeMs,
    ]),
  );
let apiUrl = '';

describe('attaching to a running Dapr stack from another process', () => {
  let before: Record<string, number>;
  let resourcesBefore: Record<string, number>;
  beforeAll(() => {
    const up = inCleanShell(`pnpm stack up dapr --instance ${instance}`);
    expect(up.code, up.err).toBe(0);
    apiUrl = /API (http:\/\/127\.0\.0\.1:\d+)/.exec(up.out)![1]!;
    before = pids();
    resourcesBefore = resources();
  });
  afterAll(() => {
    inCleanShell(`pnpm stack down ${instance}`);
  });

  it('status and kill <one process> leave every other process and the watched files alone', () => {
    const status = inCleanShell(`pnpm --silent stack status ${instance}`);
    expect(status.code, status.err).toBe(0);
    for (const [name, pid] of Object.entries(before))
      expect(status.out).toMatch(new RegExp(`${name}\\s+ready\\s+pid ${pid}`));

    const kill = inCleanShell(`pnpm --silent stack kill ${instance} extract`);
    expect(kill.code, kill.err).toBe(0);
    expect(kill.out).toMatch(/extract\s+stopped/);

    const after = pids();
    expect(after.extract).toBeUndefined();
    const others = Object.keys(before).filter((name) => name !== 'extract');
    for (const name of others) {
      expect(after[name], name).toBe(before[name]);
      process.kill(after[name]!, 0); // alive
      // No process restarted: no exit recorded by the launcher, no daprd runtime restart.
      expect(log(name), name).not.toContain('exited: code');
      expect(log(name), name).not.toContain('Received signal');
    }
    expect(resources()).toEqual(resourcesBefore);
    expect(readFileSync(join(runDir, 'logs', 'launcher.log'), 'utf8')).not.toContain('exited on its own');
  });

  it('restart brings the killed service back, again without touching the others, and the stack takes work', {
    timeout: 240_000,
  }, async () => {
    const restart = inCleanShell(`pnpm --silent stack restart ${instance} extract`);
    expect(restart.code, restart.err).toBe(0);
    const after = pids();
    for (const name of Object.keys(before).filter((n) => n !== 'extract'))
      expect(after[name], name).toBe(before[name]);
    for (const name of Object.keys(before).filter((n) => n.endsWith('-dapr')))
      expect(log(name), name).not.toContain('Received signal');
    const body = await runToEnd(apiUrl, sample(3));
    await expectGolden(body, sample(3));
  });
});
