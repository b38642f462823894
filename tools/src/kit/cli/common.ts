import { upStack } from '../../launcher/launcher';
import { capSettings } from '../bench-settings';

/** `--set KEY=VALUE` pairs as launcher settings. */
export const parseSettings = (pairs: string[] = []) =>
  Object.fromEntries(pairs.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));

/**
 * Brings the stack up for the length of `work`, then down again, whatever happens. The common
 * cap on activities in flight applies unless `--set` overrides it.
 */
export async function withStack<T>(
  stack: string,
  settings: Record<string, string>,
  work: (h: Awaited<ReturnType<typeof upStack>>) => Promise<T>,
) {
  console.error(`[kit] starting ${stack}`);
  const handle = await upStack(stack, { settings: { ...capSettings(stack), ...settings }, verbose: true });
  try {
    return await work(handle);
  } finally {
    await handle.down();
  }
}
