import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { StackHandle } from '../launcher/launcher';
import { groupMembers } from './resources';

/**
 * CPU time (utime + stime from /proc/<pid>/stat) of every live process of a stack, the mock
 * LLM excluded, in ms. Take it before and after a run: the difference is what the run cost.
 * A small local version for the engine-only benchmark; processes that exit during the run
 * take their ticks with them.
 */
let ticksPerSecond: number | undefined;
const clockTicks = () => {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
};

/** utime + stime of one process in clock ticks (fields 14 and 15; comm may hold spaces). */
export function cpuTicksOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export async function stackCpuMs(stack: StackHandle, exclude: string[] = ['mock-llm']): Promise<number> {
  let ticks = 0;
  for (const p of stack.processes) {
    const pid = stack.pid(p.name);
    if (!pid || exclude.includes(p.name)) continue;
    for (const member of await groupMembers(pid)) {
      const stat = await readFile(`/proc/${member}/stat`, 'utf8').catch(() => '');
      if (stat) ticks += cpuTicksOf(stat);
    }
  }
  return (ticks * 1000) / clockTicks();
}
