/**
 * The custom engine on PostgreSQL (Debian binaries started by the launcher), with three worker
 * processes sharing the work through `FOR UPDATE SKIP LOCKED` claims: the common contract, and
 * 20 invoices at once with no step ever claimed twice at the same time.
 */
import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoDoubleClaims } from '../src/engine/testing';
import {
  type EngineStack,
  expectGolden,
  sample,
  startEngineStack,
  submit,
  until,
  untilInFlight,
} from './helpers';

let stack: EngineStack;
beforeAll(async () => {
  // Leases shorter than the 30 s default, so that a killed worker's attempts are taken over
  // within seconds, yet longer than a CPU-bound split can block a worker's event loop (and with
  // it the heartbeats) when 20 invoices arrive at once on 2 cores.
  stack = await startEngineStack({ variant: 'postgres', workers: '3', CE_LEASE_MS: '10000' });
});
afterAll(() => stack?.close());
beforeEach(() => mockLlm.neutral(stack.llmUrl));

describeConformance({ name: 'custom-engine (postgres, 3 workers)', stack: () => stack });

describe('custom-engine on PostgreSQL with 3 worker processes', () => {
  it('runs 20 invoices at once, all golden, no step claimed twice at once', {
    timeout: 300_000,
  }, async () => {
    expect(stack.store.dialect).toBe('postgres');
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 50 } });
    const samples = Array.from({ length: 20 }, (_, i) => sample([1, 3, 10][i % 3] as number));
    const ids = await Promise.all(samples.map((s) => submit(stack.apiUrl, s)));
    for (const [i, id] of ids.entries())
      await expectGolden(await until(stack.apiUrl, id, 240_000), samples[i]!);

    const attempts = (await Promise.all(ids.map((id) => stack.store.attempts(id)))).flat();
    expectNoDoubleClaims(attempts);
    // Every durable step succeeded exactly once (split, map expansion, aggregate + one per page),
    // approval and recordDecision were skipped once each (no discrepancy); any other attempt is
    // a lease that expired under load and was re-claimed, never overlapping.
    const pages = samples.reduce((n, s) => n + s.pages, 0);
    const successes = attempts.filter((a) => a.outcome === 'success');
    expect(successes.length).toBe(20 * 3 + pages);
    expect(new Set(successes.map((a) => `${a.executionId}/${a.stepKey}`)).size).toBe(successes.length);
    expect(attempts.filter((a) => a.outcome === 'skipped').length).toBe(20 * 2);
    const reclaimed = attempts.filter((a) => a.outcome === 'lease-expired').length;
    expect(attempts.length).toBe(successes.length + 20 * 2 + reclaimed);
    const workers = new Set(attempts.map((a) => a.workerId));
    console.log(
      `[custom-engine postgres] ${attempts.length} attempts over ${workers.size} workers, ` +
        `${reclaimed} re-claimed after an expired lease`,
    );
    expect(workers.size).toBe(3);
    const metrics = await mockLlm.metrics(stack.llmUrl);
    console.log(`[custom-engine postgres] duplicate LLM successes: ${metrics.duplicateSuccesses}`);
    expect(metrics.pages).toBe(pages);
    // Work is repeated only where a lease expired.
    expect(metrics.duplicateSuccesses).toBeLessThanOrEqual(reclaimed);
  });
  it('SIGKILL of one of the 3 workers mid fan-out: the others take over its leases', {
    timeout: 180_000,
  }, async () => {
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 1_000 } });
    const id = await submit(stack.apiUrl, sample(50));
    await untilInFlight(stack.llmUrl, 10);
    // Kill the worker that holds the most page attempts (worker ids are host:pid:random).
    const held = (await stack.store.attempts(id)).filter(
      (a) => a.stepKey.startsWith('extract[') && !a.finishedAt,
    );
    const counts = new Map<string, number>();
    for (const a of held) counts.set(a.workerId, (counts.get(a.workerId) ?? 0) + 1);
    const holder = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    const victim = ['worker-1', 'worker-2', 'worker-3'].find(
      (n) => stack.handle.pid(n) === Number(holder.split(':')[1]),
    );
    expect(victim, `no worker process for ${holder}`).toBeDefined();
    await stack.handle.kill(victim!, 'SIGKILL');
    try {
      await expectGolden(await until(stack.apiUrl, id, 150_000), sample(50));
      const attempts = await stack.store.attempts(id);
      const expired = attempts.filter((a) => a.outcome === 'lease-expired');
      const metrics = await mockLlm.metrics(stack.llmUrl);
      console.log(
        `[custom-engine postgres crash] leases of the killed worker re-claimed: ${expired.length}, ` +
          `duplicate LLM successes: ${metrics.duplicateSuccesses}`,
      );
      expect(metrics.pages).toBe(50);
      // Whatever the killed worker held was re-claimed by a surviving worker and then succeeded.
      for (const e of expired) {
        const next = attempts.find((a) => a.stepKey === e.stepKey && a.attempt === e.attempt + 1);
        expect(next?.outcome, e.stepKey).toBe('success');
        expect(next?.workerId).not.toBe(e.workerId);
      }
      expect(expired.length).toBeGreaterThanOrEqual(1);
      expect(new Set(expired.map((e) => e.workerId))).toEqual(new Set([holder]));
      expectNoDoubleClaims(attempts);
    } finally {
      if (victim) await stack.handle.restart(victim);
    }
  });
});
