import { setTimeout as sleep } from 'node:timers/promises';

/**
 * daprd 1.18.2 answers GetInstance (getWorkflowState) from the state store, outside the workflow
 * actor: `state.LoadWorkflowState` (pkg/runtime/wfengine/state/state.go) reads the metadata key,
 * then the inbox and history keys it lists in a second, bulk read. Nothing makes the two one
 * snapshot, so when the workflow actor saves a turn in between (it consumed an inbox event and
 * rewrote the metadata) the second read misses a key the first one listed, and daprd fails the
 * whole call: "workflow '…': inbox key 'inbox-000000' declared in metadata (inboxLength=2) but
 * missing from state store (transient store read failure or partial save?)". Seen in a
 * fresh-clone CI run on state.redis, while a 50-page fan-out's results kept arriving: the cancel
 * route's status read answered 500. The next read sees the saved turn whole, so we read again.
 */
export const TORN_READ = /declared in metadata \(\w+=\d+\) but missing from state store/;

/** Tries of one read; a tear needs a save landing between two reads, so a second try nearly always does. */
const ATTEMPTS = 5;

/** `read()`, again (a few times, a little later each time) while it fails with a torn read. */
export async function readUntorn<T>(read: () => Promise<T>, backoffMs = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= ATTEMPTS || !TORN_READ.test((error as Error).message)) throw error;
      await sleep(backoffMs * attempt);
    }
  }
}
