import type { StackHandle } from '../launcher/launcher';
import { stackCpuMs as stackCpu } from './resources';

/**
 * CPU time of every live process of a stack, the mock LLM excluded, in ms. Take it before and
 * after a run: the difference is what the run cost. The /proc accounting itself (utime + stime,
 * plus the children each process has reaped) lives in resources.ts, shared with `pnpm compare`.
 */
export async function stackCpuMs(stack: StackHandle, exclude: string[] = ['mock-llm']): Promise<number> {
  return (await stackCpu(stack, exclude)).totalMs;
}
