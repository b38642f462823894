import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCleanShell, instancePids, supervisorPid } from '../testing/clean-shell';
import { pidAlive } from './pids';
import { RUN_ROOT } from './registry';

// The README's `pnpm stack` commands in a new shell, each a separate process attaching to the
// supervisor `up` left behind.
const instance = `cli-${randomBytes(3).toString('hex')}`;
const readme = inCleanShell;
const pids = () => instancePids(instance);
let apiUrl = '';
const healthy = () =>
  fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );

describe('README stack commands in a clean shell', () => {
  beforeAll(() => {
    const up = readme(`pnpm stack up reference --instance ${instance}`);
    expect(up.err + up.out).toContain('reference is up');
    expect(up.code).toBe(0);
    apiUrl = /API (http:\/\/127\.0\.0\.1:\d+)/.exec(up.out)![1]!;
  });
  afterAll(() => {
    readme(`pnpm stack down ${instance}`);
  });

  it('up returns with the stack serving, and a supervisor left running', async () => {
    expect(await healthy()).toBe(true);
    expect(pidAlive(supervisorPid(instance))).toBe(true);
  });

  it('status from a second process lists every process, ready, with its pid', () => {
    const status = readme(`pnpm --silent stack status ${instance}`);
    expect(status.code).toBe(0);
    const { 'mock-llm': llm, api } = pids();
    expect(status.out).toMatch(new RegExp(`mock-llm\\s+ready\\s+pid ${llm}`));
    expect(status.out).toMatch(new RegExp(`api\\s+ready\\s+pid ${api}`));
  });

  it('a process that dies on its own is restarted by the supervisor after the CLI has exited', async () => {
    const before = pids();
    process.kill(before.api!, 'SIGKILL');
    let status = '';
    for (let i = 0; i < 100 && !/api\s+ready.*1 restart/.test(status); i++) {
      await sleep(300);
      status = readme(`pnpm --silent stack status ${instance}`).out;
    }
    expect(status).toMatch(/api\s+ready\s+pid \d+\s+1 restart/);
    expect(pids().api).not.toBe(before.api);
    expect(pids()['mock-llm']).toBe(before['mock-llm']);
    expect(readFileSync(join(RUN_ROOT, instance, 'logs', 'launcher.log'), 'utf8')).toContain(
      'api exited on its own (code null, signal SIGKILL); restarting',
    );
    expect(await healthy()).toBe(true);
  });

  it('kill stops only that process and it stays down; restart brings it back', async () => {
    const before = pids();
    const kill = readme(`pnpm --silent stack kill ${instance} api`);
    expect(kill.code).toBe(0);
    expect(kill.out).toMatch(/api\s+stopped/);
    expect(pidAlive(before.api)).toBe(false);
    expect(pids()['mock-llm']).toBe(before['mock-llm']);
    await sleep(1_500); // past the supervisor's first backoff: a killed process is not restarted
    expect(await healthy()).toBe(false);
    const restart = readme(`pnpm --silent stack restart ${instance} api`);
    expect(restart.out).toMatch(/api\s+ready/);
    expect(await healthy()).toBe(true);
  });

  it('down stops every process and the supervisor', async () => {
    const before = pids();
    const supervisor = supervisorPid(instance);
    const down = readme(`pnpm --silent stack down ${instance}`);
    expect(down.code).toBe(0);
    for (const pid of Object.values(before)) expect(pidAlive(pid)).toBe(false);
    for (let i = 0; i < 50 && pidAlive(supervisor); i++) await sleep(100);
    expect(pidAlive(supervisor)).toBe(false);
    expect(readme(`pnpm --silent stack status ${instance}`).out).toContain('no supervisor runs');
  });
});
