import { describe, expect, it } from 'vitest';
import { CANCEL_TAG, crashSettled, MAX_RESUBMITS, pauseExpired, WAITED_TAG } from './orchestrator';
import type { FlowRun } from './prefect-rest';

const crashed = (message: string, ageMs: number, run_count = 1): FlowRun => ({
  id: 'r',
  name: 'i',
  run_count,
  state: { type: 'CRASHED', name: 'Crashed', message, timestamp: new Date(1_000_000 - ageMs).toISOString() },
});

describe('crashSettled: when the API resubmits a Crashed flow run', () => {
  it("at once on the worker's own report, which comes last", () => {
    expect(
      crashSettled(crashed('Flow run infrastructure exited with non-zero status code -9.', 0), 1_000_000),
    ).toBe(true);
  });
  it("not on the runner's first report, which the worker's would overwrite, until it has settled", () => {
    const early = crashed('Process exited with status code: -9.', 1_000);
    expect(crashSettled(early, 1_000_000)).toBe(false);
    expect(crashSettled(crashed('Process exited with status code: -9.', 60_000), 1_000_000)).toBe(true);
  });
  it('never past MAX_RESUBMITS runs, nor for a run that is not Crashed', () => {
    expect(crashSettled(crashed('Flow run infrastructure exited', 0, MAX_RESUBMITS + 1), 1_000_000)).toBe(
      false,
    );
    expect(
      crashSettled({ id: 'r', name: 'i', run_count: 1, state: { type: 'RUNNING', name: 'Running' } }),
    ).toBe(false);
  });
  it('never for a run the API was asked to cancel (its kill may end it Crashed)', () => {
    const run = {
      ...crashed('Flow run infrastructure exited with non-zero status code -15.', 60_000),
      tags: [CANCEL_TAG],
    };
    expect(crashSettled(run, 1_000_000)).toBe(false);
  });
});

describe('pauseExpired: when the API re-runs a flow run so that it records the approval timeout', () => {
  const failed = (message: string, tags: string[] = [WAITED_TAG]): FlowRun => ({
    id: 'r',
    name: 'i',
    run_count: 1,
    tags,
    state: { type: 'FAILED', name: 'Failed', message },
  });
  it("on Prefect's own expiry of a suspend the flow made (FailExpiredPauses, or a late resume)", () => {
    expect(pauseExpired(failed('The flow was paused and never resumed.'))).toBe(true);
    expect(pauseExpired(failed('The flow was suspended and never resumed.'))).toBe(true);
  });
  it('never for any other failure, a run that never waited, or one the API was asked to cancel', () => {
    expect(pauseExpired(failed('Flow run encountered an exception: ActivityError: ...'))).toBe(false);
    expect(pauseExpired(failed('The flow was paused and never resumed.', []))).toBe(false);
    expect(pauseExpired(failed('The flow was paused and never resumed.', [WAITED_TAG, CANCEL_TAG]))).toBe(
      false,
    );
  });
});
