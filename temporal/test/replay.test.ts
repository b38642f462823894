/**
 * Determinism and versioning: a history recorded on the real server replays against the
 * workflow code, a non-deterministic change is caught by replay, and the same change behind
 * patched() replays the old history cleanly (how in-flight runs survive a deploy).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowsPath } from '../src/worker';
import { expectGolden, runToEnd, sample, startTemporal, type TemporalStack } from './helpers';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

let stack: TemporalStack;
let history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
beforeAll(async () => {
  // Replay workers log every state change at INFO; keep the test output to what matters.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await startTemporal();
  await mockLlm.neutral(stack.llmUrl);
  const body = await runToEnd(stack.apiUrl, sample(3));
  await expectGolden(body, sample(3));
  history = await stack.client.workflow.getHandle(body.id).fetchHistory();
});
afterAll(() => stack?.close());

/** Every byte array anywhere in the history: the payloads (inputs, results, failures). */
function payloadBytes(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) payloadBytes(v, out);
  return out;
}

describe('temporal claim-check', () => {
  it('the history carries blob keys only, never page data', async () => {
    const payloads = payloadBytes(history.events).map((b) => Buffer.from(b).toString('latin1'));
    const all = payloads.join('\n');
    expect(all).toContain('/pages/0003.txt'); // keys are there ...
    expect(all).not.toContain('%PDF'); // ... PDF bytes are not,
    expect(all).not.toContain('PNG'); // nor PNG renderings,
    expect(all).not.toContain('INVOICE'); // nor the page text the LLM reads.
    expect(Math.max(...payloads.map((p) => p.length))).toBeLessThan(4_096);
  });
});

describe('temporal determinism', () => {
  it('a recorded history of a real run replays against src/workflows.ts', async () => {
    const types = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(types).toEqual(['split', 'extract', 'extract', 'extract', 'aggregate']);
    await expect(Worker.runReplayHistory({ workflowsPath }, history)).resolves.toBeUndefined();
  });

  it('a history recorded by the first version (committed fixture) still replays: CI guards deploys', async () => {
    const recorded = historyFromJSON(
      JSON.parse(await readFile(fixture('history-v1-invoice-3p.json'), 'utf8')),
    );
    await expect(Worker.runReplayHistory({ workflowsPath }, recorded)).resolves.toBeUndefined();
  });

  it('a history that waited for approval (committed fixture: memo, timer, signal, recordDecision) replays', async () => {
    const recorded = historyFromJSON(
      JSON.parse(await readFile(fixture('history-v2-invoice-3p-approved.json'), 'utf8')),
    );
    const events = recorded.events ?? [];
    expect(events.some((e) => e.workflowPropertiesModifiedEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approval')).toBe(
      true,
    );
    await expect(Worker.runReplayHistory({ workflowsPath }, recorded)).resolves.toBeUndefined();
  });

  it('a non-deterministic change (a new timer before split) is caught on replay', async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: fixture('workflows-v2-unpatched.ts') }, history),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  it('the same change behind patched() replays the old history cleanly', async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: fixture('workflows-v2-patched.ts') }, history),
    ).resolves.toBeUndefined();
  });
});
