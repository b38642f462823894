import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { StackHandle } from '../launcher/launcher';

/** Every pid in a process group (a launched process and whatever it started). */
export async function groupMembers(pgid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pgrp is the 5th field; the 2nd (comm) may contain spaces, so split after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) pids.push(Number(entry));
  }
  return pids;
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** OS processes and resident memory of every launched process of a stack, right now. */
export async function sampleResources(stack: StackHandle, exclude: string[] = ['mock-llm']) {
  const perProcess: Record<string, { processes: number; rssMiB: number }> = {};
  for (const p of stack.processes) {
    const pid = stack.pid(p.name);
    if (!pid || exclude.includes(p.name)) continue;
    const members = await groupMembers(pid);
    const kib = (await Promise.all(members.map(rssKiB))).reduce((a, b) => a + b, 0);
    perProcess[p.name] = { processes: members.length, rssMiB: Math.round(kib / 102.4) / 10 };
  }
  const values = Object.values(perProcess);
  return {
    processes: values.reduce((a, v) => a + v.processes, 0),
    rssMiB: Math.round(values.reduce((a, v) => a + v.rssMiB, 0) * 10) / 10,
    perProcess,
  };
}

/** Samples every `everyMs` while `work` runs and keeps the peak total RSS. */
export async function peakResourcesDuring<T>(stack: StackHandle, work: Promise<T>, everyMs = 1_000) {
  let peak = await sampleResources(stack);
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, everyMs));
      const now = await sampleResources(stack);
      if (now.rssMiB > peak.rssMiB) peak = now;
    }
  })();
  try {
    return { result: await work, peak };
  } finally {
    done = true;
    await sampler;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's time fields (USER_HZ, 100 on every Linux we run). */
const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of one process in ms: utime + stime of all its threads, plus cutime + cstime, the
 * children it has already reaped. A child still alive is counted by its own entry, so summing
 * this over every live member of a group counts each CPU-second once.
 */
export function cpuMsFromStat(stat: string, ticksPerS = CLOCK_TICKS_PER_S): number {
  // Fields after the comm's closing paren: state(3) ... utime(14) stime(15) cutime(16) cstime(17).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return (ticks * 1000) / ticksPerS;
}

/** Summed CPU ms of these pids right now (a pid that has exited counts 0). */
export async function cpuMsOfPids(pids: number[]): Promise<number> {
  const stats = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')));
  return stats.reduce((sum, stat) => sum + (stat ? cpuMsFromStat(stat) : 0), 0);
}

/** CPU ms so far of every process of a stack (each launched process's whole group), the mock LLM excluded. */
export async function stackCpuMs(stack: StackHandle, exclude: string[] = ['mock-llm']) {
  const perProcess: Record<string, number> = {};
  for (const p of stack.processes) {
    const pid = stack.pid(p.name);
    if (!pid || exclude.includes(p.name)) continue;
    perProcess[p.name] = await cpuMsOfPids(await groupMembers(pid));
  }
  return { totalMs: Object.values(perProcess).reduce((a, b) => a + b, 0), perProcess };
}
