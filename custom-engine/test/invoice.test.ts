import { describeConformance } from '@invoice/shared/testing/conformance';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import {
  expectGivesUpAfterMaxAttempts,
  runTinySynthetic,
  runWithScriptedRetries,
} from '@invoice/tools/testing/stack-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EngineStack, expectGolden, runToEnd, sample, startEngineStack } from './helpers';

/** Every step of the invoice definition ends success or skipped on a completed run. */
const INVOICE_STEPS = ['split', 'extract', 'aggregate', 'approval', 'recordDecision'];

let stack: EngineStack;
beforeAll(async () => {
  // Synthetic uploads run the synthetic activity set; every other test posts real PDFs.
  stack = await startEngineStack({ ACTIVITY_MODE: 'synthetic' });
});
afterAll(() => stack?.close());
beforeEach(() => mockLlm.neutral(stack.llmUrl));

describeConformance({ name: 'custom-engine (sqlite)', stack: () => stack });

describe('custom-engine invoice flow', () => {
  it('fans out one durable step per page, all in parallel', async () => {
    await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: 500 } });
    const body = await runToEnd(stack.apiUrl, sample(50));
    await expectGolden(body, sample(50));
    const metrics = await mockLlm.metrics(stack.llmUrl);
    expect(metrics.pages).toBe(50);
    expect(metrics.maxInFlight).toBe(50);
    expect(metrics.duplicateSuccesses).toBe(0);
    const attempts = await stack.store.attempts(body.id);
    expect(attempts.filter((a) => a.stepKey.startsWith('extract[')).length).toBe(50);
  });

  it('retries a 429 then a 500 on every page with the shared policy: each page succeeds on attempt 3', async () => {
    const body = await runWithScriptedRetries(stack.apiUrl, stack.llmUrl, 10);
    // The engine's side of the same story: three attempts per extract item, one for split.
    const attempts = await stack.store.attempts(body.id);
    const perItem = new Map<string, number>();
    for (const a of attempts) perItem.set(a.stepKey, Math.max(perItem.get(a.stepKey) ?? 0, a.attempt));
    expect([...perItem].filter(([k]) => k.startsWith('extract[')).map(([, n]) => n)).toEqual(
      Array(10).fill(3),
    );
    expect(perItem.get('split')).toBe(1);
  });

  it('gives up after maxAttempts (6) and reports the run as failed', async () => {
    await expectGivesUpAfterMaxAttempts(stack.apiUrl, stack.llmUrl);
  });

  it('shows the run in the engine API: execution view and a status-coloured Mermaid diagram', async () => {
    const body = await runToEnd(stack.apiUrl, sample(3));
    const exec = (await (await fetch(`${stack.apiUrl}/executions/${body.id}`)).json()) as {
      status: string;
      completedSteps: string[];
      skippedSteps: string[];
      stepResults: Record<string, { items?: { total: number; success: number } }>;
    };
    expect(exec.status).toBe('completed');
    // No discrepancy: the approval wait and recordDecision are skipped by their `when`.
    expect(exec.completedSteps).toEqual(INVOICE_STEPS);
    expect(exec.skippedSteps).toEqual(['approval', 'recordDecision']);
    expect(exec.stepResults.extract?.items).toMatchObject({ total: 3, success: 3 });
    const viz = (await (await fetch(`${stack.apiUrl}/executions/${body.id}/visualize`)).json()) as {
      mermaid: string;
    };
    expect(viz.mermaid).toContain('s_extract["extract<br/>success 3/3 items"]:::success');
    expect(viz.mermaid).toContain('s_split --> s_extract');
    const list = (await (await fetch(`${stack.apiUrl}/executions?workflowId=invoice`)).json()) as {
      executions: { executionId: string }[];
    };
    expect(list.executions.map((e) => e.executionId)).toContain(body.id);
  });

  it('runs the synthetic activity set (ACTIVITY_MODE=synthetic) through the same invoice workflow', async () => {
    const body = await runTinySynthetic(stack.apiUrl, stack.llmUrl, stack.blobs, 7);
    const attempts = await stack.store.attempts(body.id);
    expect(attempts.filter((a) => a.stepKey.startsWith('extract[')).length).toBe(7);
    const exec = (await (await fetch(`${stack.apiUrl}/executions/${body.id}`)).json()) as {
      completedSteps: string[];
    };
    expect(exec.completedSteps).toEqual(INVOICE_STEPS);
    const list = (await (await fetch(`${stack.apiUrl}/executions?workflowId=invoice`)).json()) as {
      executions: { executionId: string }[];
    };
    expect(list.executions.map((e) => e.executionId)).toContain(body.id);
  });
});
