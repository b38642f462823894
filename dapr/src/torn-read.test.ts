import { describe, expect, it } from 'vitest';
import { readUntorn } from './torn-read';

/** The error daprd 1.18.2 sent in CI (gRPC UNKNOWN), as @grpc/grpc-js words it. */
const TORN = new Error(
  "2 UNKNOWN: workflow '376423c7-1ebd-422f-a812-8fe8920971c3': inbox key 'inbox-000000' declared in metadata (inboxLength=2) but missing from state store (transient store read failure or partial save?)",
);

function failingTimes(n: number, error: Error) {
  let calls = 0;
  const read = async () => {
    calls++;
    if (calls <= n) throw error;
    return 'state';
  };
  return { read, calls: () => calls };
}

describe('readUntorn (GetInstance racing a workflow turn being saved)', () => {
  it('reads again after a torn read and returns the whole state', async () => {
    const r = failingTimes(2, TORN);
    expect(await readUntorn(r.read, 0)).toBe('state');
    expect(r.calls()).toBe(3);
  });

  it('gives up after 5 torn reads with the error', async () => {
    const r = failingTimes(10, TORN);
    await expect(readUntorn(r.read, 0)).rejects.toThrow(/missing from state store/);
    expect(r.calls()).toBe(5);
  });

  it('does not retry any other error (a sidecar that is down fails at once)', async () => {
    const r = failingTimes(1, new Error('14 UNAVAILABLE: No connection established'));
    await expect(readUntorn(r.read, 0)).rejects.toThrow(/UNAVAILABLE/);
    expect(r.calls()).toBe(1);
  });
});
