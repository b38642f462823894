import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../blob/store';
import { type AcceptedBody, type ErrorBody, isFinal, type StatusBody } from '../contract/types';
import { serializeInvoice } from '../domain/aggregate';
import { InvoiceStatus } from '../domain/schemas';
import { BAD_INPUTS, HOSTILE_INPUTS, SAMPLES } from '../samples/corpus';
import { describeProductionBehaviours } from './production';

export type ConformanceTarget = {
  /** name shown in the test titles */
  name: string;
  /** read lazily: the stack is started in the caller's beforeAll (llmUrl: its mock LLM) */
  stack: () => { apiUrl: string; llmUrl: string; blobs: BlobStore };
  /** how long a single sample may take through this stack */
  timeoutMs?: number;
};

async function post(apiUrl: string, body: Uint8Array | string, contentType: string, query = '') {
  const response = await fetch(`${apiUrl}/api/invoices${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const postAndWait = async (apiUrl: string, pdfPath: string, timeoutMs: number) =>
  post(apiUrl, await readFile(pdfPath), 'application/pdf', `?wait=true&timeoutMs=${timeoutMs}`);

async function poll(apiUrl: string, id: string, timeoutMs: number): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${apiUrl}/api/invoices/${id}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as StatusBody;
    expect(InvoiceStatus.options).toContain(body.status);
    if (isFinal(body.status) || Date.now() > deadline) return body;
    await sleep(100);
  }
}

function expectTimings(body: StatusBody) {
  expect(body.timings).toBeDefined();
  for (const key of ['totalMs', 'splitMs', 'extractMs', 'aggregateMs', 'orchestrationMs'] as const) {
    expect(typeof body.timings![key]).toBe('number');
  }
  expect(body.timings!.totalMs).toBeGreaterThanOrEqual(body.timings!.splitMs);
}

/**
 * The contract every stack serves (docs/DESIGN.md), as vitest tests. A stack's test file starts its
 * stack once in beforeAll and calls this; the same assertions run against every orchestrator.
 */
export function describeConformance(target: ConformanceTarget) {
  const timeoutMs = target.timeoutMs ?? 120_000;
  describe(`HTTP contract: ${target.name}`, () => {
    it('GET /healthz answers 200 once the stack can take work', async () => {
      const response = await fetch(`${target.stack().apiUrl}/healthz`);
      expect(response.status).toBe(200);
    });

    for (const sample of SAMPLES.filter((s) => !s.name.includes('mismatch'))) {
      it(`?wait=true returns the golden invoice for ${sample.name}`, { timeout: timeoutMs }, async () => {
        const { status, body } = await postAndWait(target.stack().apiUrl, sample.pdfPath, timeoutMs);
        expect(status, JSON.stringify(body)).toBe(200);
        const result = body as StatusBody;
        expect(result.status).toBe('completed');
        expect(serializeInvoice(result.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
        expectTimings(result);
      });
    }

    for (const sample of SAMPLES.filter((s) => s.name.includes('mismatch'))) {
      it(`?wait=true stops at awaiting_approval for ${sample.name} (it has a discrepancy); approved, it is the golden invoice with the decision`, {
        timeout: timeoutMs,
      }, async () => {
        const { apiUrl } = target.stack();
        const { status, body } = await postAndWait(apiUrl, sample.pdfPath, timeoutMs);
        expect(status, JSON.stringify(body)).toBe(202);
        const waiting = body as StatusBody;
        expect(waiting.status).toBe('awaiting_approval');
        const approval = await fetch(`${apiUrl}/api/invoices/${waiting.id}/approval`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ approved: true, note: 'conformance' }),
        });
        expect(approval.status).toBe(202);
        const done = await poll(apiUrl, waiting.id, timeoutMs);
        expect(done.status).toBe('completed');
        const { approval: decision, ...invoice } = done.invoice!;
        expect(decision).toEqual({ approved: true, note: 'conformance', decidedBy: 'approver' });
        expect(serializeInvoice(invoice)).toBe(await readFile(sample.goldenPath, 'utf8'));
        expectTimings(done);
      });
    }

    it('202 + polling the statusUrl reaches the golden invoice', { timeout: timeoutMs }, async () => {
      const { apiUrl } = target.stack();
      const sample = SAMPLES.find((s) => s.pages === 3) ?? SAMPLES[0]!;
      const { status, body } = await post(apiUrl, await readFile(sample.pdfPath), 'application/pdf');
      expect(status).toBe(202);
      const accepted = body as AcceptedBody;
      expect(accepted.statusUrl).toBe(`/api/invoices/${accepted.id}`);
      const done = await poll(apiUrl, accepted.id, timeoutMs);
      expect(done.status).toBe('completed');
      expect(serializeInvoice(done.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
      expectTimings(done);
    });

    it('GET of an unknown id is a 404 in the error shape', async () => {
      const response = await fetch(
        `${target.stack().apiUrl}/api/invoices/00000000-0000-4000-8000-000000000000`,
      );
      expect(response.status).toBe(404);
      expect(((await response.json()) as ErrorBody).error.code).toBe('not_found');
    });

    describe('bad input is refused before any work, leaving nothing behind', () => {
      const cases = BAD_INPUTS;
      for (const bad of cases) {
        it(`${bad.name} -> ${bad.status} ${bad.code}`, async () => {
          const { apiUrl, blobs } = target.stack();
          const before = await blobs.list('invoices/');
          const { status, body } = await post(apiUrl, await bad.load(), bad.contentType);
          expect(status, JSON.stringify(body)).toBe(bad.status);
          const error = (body as ErrorBody).error;
          expect(error.code).toBe(bad.code);
          expect(error.message.length).toBeGreaterThan(0);
          // The upload is validated before it is stored or a run starts.
          expect(await blobs.list('invoices/')).toEqual(before);
        });
      }
    });

    describe('hostile input is refused with its code or processed within the work budget', () => {
      const timings: string[] = [];
      for (const input of HOSTILE_INPUTS) {
        const outcome = input.status === 422 ? `422 ${input.code}` : `200 = golden ${input.golden}`;
        it(`${input.name} -> ${outcome}`, { timeout: timeoutMs }, async () => {
          const { apiUrl, blobs } = target.stack();
          const before = await blobs.list('invoices/');
          const pdf = await input.load();
          const started = Date.now();
          const { status, body } = await post(
            apiUrl,
            pdf,
            'application/pdf',
            `?wait=true&timeoutMs=${timeoutMs}`,
          );
          timings.push(`${input.name} ${status} in ${Date.now() - started} ms`);
          expect(status, JSON.stringify(body)).toBe(input.status);
          if (input.status === 422) {
            expect((body as ErrorBody).error.code).toBe(input.code);
            expect(await blobs.list('invoices/')).toEqual(before);
          } else {
            const golden = SAMPLES.find((s) => s.name === input.golden)!;
            expect(serializeInvoice((body as StatusBody).invoice!)).toBe(
              await readFile(golden.goldenPath, 'utf8'),
            );
          }
        });
      }

      it('GET /healthz still answers 200 afterwards', async () => {
        // Printed, not asserted: how long each hostile upload held this stack (the note's table).
        console.log(`[hostile ${target.name}] ${timings.join('; ')}`);
        expect((await fetch(`${target.stack().apiUrl}/healthz`)).status).toBe(200);
      });
    });
  });
  describeProductionBehaviours(target);
}
