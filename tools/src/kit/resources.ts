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
