import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  expectApprovalSurvivesRestart,
  expectOverBudgetNotRetried,
  expectPoisonPillFails,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../test-host/history-log';
import { partitionOf } from '../test-host/host-settings';
import { type Lease, readJournal, readLease } from '../test-host/leases';
import { EventType } from '../test-host/sdk';
import topology from '../topology';
import {
  committed,
  countEvents,
  pagesWithDurableResult,
  pollUntilDone,
  postSample,
  readHistory,
  writeHostJson,
} from './helpers';

/**
 * SIGKILL the process that stands in for the Functions host in the middle of a 50-page fan-out,
 * start it again, and check what the Azure Storage provider's rules make of that.
 *
 * SHORTENED TIMEOUTS, stated: this file runs the host with a copy of host.json in which the
 * control-queue visibility timeout is 6 s and the work-item visibility timeout 4 s (real default
 * 5 min each), the partition lease 5 s, renewed every 2 s, tried every 1 s (real 30 s / 10 s /
 * 10 s; the extension has no host.json key for these, so they sit in the test host's own
 * `testHost` section). functionTimeout stays the app's (10 min).
 */
const SHORT = {
  controlQueueVisibilityTimeout: '00:00:06',
  workItemQueueVisibilityTimeout: '00:00:04',
  leaseInterval: '00:00:05',
  leaseRenewInterval: '00:00:02',
  leaseAcquireInterval: '00:00:01',
};

let stack: StackHandle;
let partitionCount: number;
beforeAll(async () => {
  // TEST ONLY: lets an upload's marker make split kill its process (shared/src/flow/test-faults.ts).
  process.env.SPLIT_TEST_FAULTS = '1';
  const hostJson = await writeHostJson(SHORT);
  partitionCount = hostJson.settings.partitionCount;
  stack = await upStack('azure-durable-functions', { settings: { DF_HOST_JSON: hostJson.path } });
});
afterAll(() => stack?.down());

const fifty = SAMPLES.find((s) => s.pages === 50)!;
const historyDir = () => join(stack.runDir, 'durable-history');

/** What storage held at the kill: work items not deleted, and until when each was invisible. */
function queuesAtKill(lines: LogLine[]) {
  const deleted = new Set(lines.flatMap((l) => (l.kind === 'deleted' ? l.mids : [])));
  const invisibleUntil = new Map<string, number>();
  for (const l of lines) if (l.kind === 'dequeued') invisibleUntil.set(l.mid, Date.parse(l.invisibleUntil));
  const workitems = lines.filter((l) => l.kind === 'workitem' && !deleted.has(l.mid));
  const controls = lines.filter((l) => l.kind === 'message' && !deleted.has(l.mid));
  return {
    /** taken by the killed worker and not finished: each hidden until its visibility timeout ran out */
    inFlight: new Map(
      workitems.flatMap((w) =>
        w.kind === 'workitem' && invisibleUntil.has(w.mid)
          ? [[`task:${w.taskId}`, invisibleUntil.get(w.mid)!]]
          : [],
      ),
    ),
    /** pages whose work item was deleted: their run is over and never repeats */
    finishedTasks: new Set(
      lines.flatMap((l) => (l.kind === 'workitem' && deleted.has(l.mid) ? [l.taskId] : [])),
    ),
    controlsDequeued: controls.filter((c) => invisibleUntil.has(c.kind === 'message' ? c.mid : '')).length,
  };
}

describe('crash of the functions host mid fan-out (shortened, stated timeouts)', () => {
  it('completes with the golden invoice; recovery waits for the lease and the visibility timeouts, and duplicates are counted', async () => {
    await mockLlm.neutral(stack.llmUrl);
    // Five calls at a time, 150 ms each: the fan-out takes ten waves, so there is a "middle".
    await mockLlm.configure(stack.llmUrl, { concurrency: 5, latency: { kind: 'fixed', ms: 150 } });
    const { status, body } = await postSample(stack, fifty, false);
    expect(status).toBe(202);
    for (;;) {
      const lines = await readHistory(stack, body.id).catch(() => []);
      if (pagesWithDurableResult(lines).size >= 10) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await stack.kill('functions-host');
    const killedAt = Date.now();
    // Storage as the kill left it (the killed host wrote all of this; nothing writes it meanwhile).
    const atKill = await readHistory(stack, body.id);
    const partition = partitionOf(body.id, partitionCount);
    const leaseAtKill = (await readLease(join(historyDir(), '_host'), partition)) as Lease;
    const queues = queuesAtKill(atKill);
    const durableAtKill = pagesWithDurableResult(atKill);
    expect(durableAtKill.size).toBeGreaterThanOrEqual(10);
    expect(durableAtKill.size).toBeLessThan(50);
    expect(queues.inFlight.size).toBeGreaterThan(0);
    expect(Date.parse(leaseAtKill.expiresAt)).toBeGreaterThan(killedAt);

    await stack.restart('functions-host');
    const done = await pollUntilDone(stack, body.id);
    const recoveredAt = Date.now();
    expect(done.status).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(fifty.goldenPath, 'utf8'));

    const journal = await readJournal(historyDir());
    const acquired = journal.find(
      (e) =>
        e.kind === 'lease-acquired' && e.partition === partition && e.previous?.owner === leaseAtKill.owner,
    );
    expect(acquired?.kind).toBe('lease-acquired');
    if (acquired?.kind !== 'lease-acquired') return;
    // The new worker took the partition only once the dead worker's lease, as storage had it, ran out.
    expect(acquired.previous).toEqual(leaseAtKill);
    expect(Date.parse(acquired.at)).toBeGreaterThanOrEqual(Date.parse(leaseAtKill.expiresAt));
    const redelivered = journal.filter((e) => e.kind === 'redelivered' && e.owner === acquired.owner);
    // Every work item the dead worker had taken ran again, and not before its visibility timeout ran out.
    for (const [key, invisibleUntil] of queues.inFlight) {
      const again = redelivered.find(
        (e) => e.kind === 'redelivered' && e.queue === 'workitem' && e.key === key,
      );
      expect(again, key).toBeDefined();
      expect(Date.parse(again!.at)).toBeGreaterThanOrEqual(invisibleUntil);
    }
    // No control-queue message of the partition was processed before the lease was re-acquired.
    for (const e of redelivered) {
      if (e.kind === 'redelivered' && e.queue === 'control') {
        expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(acquired.at));
        expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(e.visibleAt));
      }
    }
    // Storage agrees: the answers of the re-run tasks are stamped after their visibility timeout.
    const after = committed(await readHistory(stack, body.id));
    for (const [key, invisibleUntil] of queues.inFlight) {
      const taskId = Number(key.slice('task:'.length));
      const answer = after.find(
        (l) =>
          (l.event.EventType === EventType.TaskCompleted || l.event.EventType === EventType.TaskFailed) &&
          l.event.TaskScheduledId === taskId,
      );
      expect(answer, key).toBeDefined();
      expect(Date.parse(String(answer!.event.Timestamp))).toBeGreaterThanOrEqual(invisibleUntil);
    }

    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.pages).toBe(50);
    // At-least-once: pages whose work item was deleted before the kill never ran again; pages the
    // dead worker had taken ran again (a duplicate when their first LLM call had succeeded).
    const textKey = new Map<number, string>();
    for (const l of atKill) {
      if (l.kind === 'workitem' && l.name === 'extractPage') {
        textKey.set(l.taskId, (JSON.parse(l.input!) as { page: { textKey: string } }).page.textKey);
      }
    }
    for (const taskId of queues.finishedTasks) {
      const key = textKey.get(taskId);
      if (key) expect(metrics.successesPerPage[key], key).toBe(1);
    }
    expect(metrics.duplicateSuccesses).toBeLessThanOrEqual(queues.inFlight.size);
    console.log(
      `[crash] shortened timeouts ${JSON.stringify(SHORT)}; durable results at kill: ${durableAtKill.size}/50; ` +
        `work items taken and unfinished at kill: ${queues.inFlight.size}; dead lease expired ${Date.parse(leaseAtKill.expiresAt) - killedAt} ms after the kill, ` +
        `re-acquired ${Date.parse(acquired.at) - killedAt} ms after it; kill to completion ${recoveredAt - killedAt} ms; ` +
        `duplicate LLM extractions: ${metrics.duplicateSuccesses}; total LLM calls: ${metrics.totalCalls}`,
    );
  });

  it('SIGKILL of Azurite mid fan-out, then a restart: every acknowledged blob is there and the invoice is golden', {
    timeout: 180_000,
  }, async () => {
    await mockLlm.neutral(stack.llmUrl);
    await mockLlm.configure(stack.llmUrl, { concurrency: 5, latency: { kind: 'fixed', ms: 150 } });
    const { body } = await postSample(stack, fifty, false);
    for (;;) {
      if (pagesWithDurableResult(await readHistory(stack, body.id).catch(() => [])).size >= 10) break;
      await sleep(20);
    }
    // Page blobs, extractions and the source PDF were all acknowledged before this kill; with
    // Azurite's in-memory metadata (saved every 5 s) some would now be gone.
    await stack.kill('azurite', 'SIGKILL');
    await stack.restart('azurite');
    const done = await pollUntilDone(stack, body.id);
    expect(done.status, done.error).toBe('completed');
    expect(serializeInvoice(done.invoice!)).toBe(await readFile(fifty.goldenPath, 'utf8'));
  });

  it('a split that kills the host every time fails the run after 3 dispatches; the other invoice completes', {
    timeout: 240_000,
  }, async () => {
    const target = { handle: stack, apiUrl: stack.apiUrl, llmUrl: stack.llmUrl };
    await expectPoisonPillFails(target, {
      worker: 'functions-host',
      attempts: 3,
      code: /worker_lost/,
      timeoutMs: 180_000,
    });
  });

  it('a split over the work budget fails the run at once, dispatched once', async () => {
    const id = await expectOverBudgetNotRetried(stack.apiUrl);
    const history = await readHistory(stack, id);
    expect(countEvents(history, EventType.TaskScheduled, 'splitPdf')).toBe(1);
  });
});

describe('the approval wait across a SIGKILL of every process (shortened, stated timeouts)', () => {
  it('a run awaiting approval is still awaiting after Azurite and the host are killed and restarted; the approval then lands', {
    timeout: 240_000,
  }, async () => {
    const r = await expectApprovalSurvivesRestart(stack, 'durable-functions');
    expect(r.killed).toEqual(expect.arrayContaining(['azurite', 'functions-host']));
    // The wait was history all along: one EventRaised, consumed by the restarted host.
    const lines = committed(await readHistory(stack, r.id));
    expect(lines.filter((l) => l.event.EventType === EventType.EventRaised)).toHaveLength(1);
    expect(countEvents(lines, EventType.TaskScheduled, 'recordDecision')).toBe(1);
  });
});

describe('two workers', () => {
  it('are not offered: workers=2 still gives one host process and no extract worker, rather than a fake second one', async () => {
    expect(stack.topology.extractWorkers).toEqual([]);
    let port = 45_000;
    const two = await topology({
      runDir: await mkdtemp(join(tmpdir(), 'df-workers-')),
      repoRoot: fileURLToPath(new URL('../..', import.meta.url)),
      settings: { workers: '2' },
      port: async () => port++,
    });
    expect(two.extractWorkers).toEqual([]);
    expect(two.processes.map((p) => p.name)).toEqual(stack.topology.processes.map((p) => p.name));
    expect(two.description).toMatch(/workers=2 asked, one host process runs/);
    const health = (await (await fetch(`${stack.apiUrl}/healthz`)).json()) as {
      behaviours: Record<string, string>;
    };
    expect(health.behaviours.workers).toMatch(/^not on this test host/);
  });
});
