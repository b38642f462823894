import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuMsFromStat, cpuMsOfPids, groupMembers } from './resources';

// Burns CPU until its own process.cpuUsage() passes 400 ms, reports that, then idles until killed.
const BURNER = `
const burnUntil = 400_000;
while (process.cpuUsage().user + process.cpuUsage().system < burnUntil) Math.sqrt(Math.random());
const u = process.cpuUsage();
process.stdout.write(JSON.stringify({ ms: (u.user + u.system) / 1000 }) + '\\n');
setInterval(() => {}, 60_000);
`;

describe('CPU accounting from /proc', () => {
  it('reads utime + stime + cutime + cstime from a stat line whose comm has spaces', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const stat = '42 (tsx watch a) S 1 42 42 0 -1 4194304 10 0 0 0 150 50 7 3 20 0 1';
    expect(cpuMsFromStat(stat, 100)).toBe(2100);
  });

  it("agrees within 10 % with a child's own process.cpuUsage()", async () => {
    const child = spawn(process.execPath, ['-e', BURNER], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const reported = (JSON.parse(line.toString()) as { ms: number }).ms;
      const fromProc = await cpuMsOfPids(await groupMembers(child.pid!));
      expect(reported).toBeGreaterThanOrEqual(400);
      expect(Math.abs(fromProc - reported) / reported).toBeLessThan(0.1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
