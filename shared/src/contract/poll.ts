import { setTimeout as sleep } from 'node:timers/promises';
import { isFinal as isFinalStatus, type RunState } from './types';

export const isFinal = (s: RunState) => isFinalStatus(s.status);

/**
 * An orchestrator's wait() by polling its status(): every `periodMs` until the run is in a final
 * status (completed, failed, cancelled, rejected) or awaiting_approval (the contract's wait()
 * resolves there too), or with its last known state at the timeout. A failed look (the engine restarting
 * after a crash) is retried until the deadline.
 */
export async function pollUntilFinal(
  look: () => Promise<RunState | undefined>,
  timeoutMs: number,
  periodMs: number,
): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  let last: RunState = { status: 'pending' };
  for (;;) {
    last = (await look().catch(() => undefined)) ?? last;
    if (isFinal(last) || last.status === 'awaiting_approval' || Date.now() >= deadline) return last;
    await sleep(Math.min(periodMs, deadline - Date.now()));
  }
}
