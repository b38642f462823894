import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../blob/store';
import { APPROVAL_TIMEOUT_HEADER, DEADLINE_HEADER } from '../contract/run-limits';
import { type ErrorBody, type HealthBody, PRODUCTION_BEHAVIOURS } from '../contract/types';
import { serializeInvoice } from '../domain/aggregate';
import { SAMPLES } from '../samples/corpus';
import { cancel, cancelMidFanout, decide, llm, NEUTRAL, statusOf, untilFinal, upload } from './scenarios';

export type ProductionTarget = {
  name: string;
  stack: () => { apiUrl: string; llmUrl: string; blobs: BlobStore };
  timeoutMs?: number;
};

/**
 * The production behaviours of issue 16, required of every stack: idempotent upload,
 * cancellation, the approval step with its durable timeout, and the invoice deadline. A stack
 * that does not declare one fails here (and its API answers 501), it is never skipped. What
 * needs process kills (the approval across a restart of every process, one of two workers
 * killed) runs in each stack's crash tests with tools/src/testing/stack-client.ts.
 */
export function describeProductionBehaviours(target: ProductionTarget) {
  const timeoutMs = target.timeoutMs ?? 120_000;
  const three = SAMPLES.find((s) => s.pages === 3) ?? SAMPLES[0]!;
  const other = SAMPLES.find((s) => s.name !== three.name)!;
  const mismatch = SAMPLES.find((s) => s.name.includes('mismatch'))!;

  /** The 3-page sample through ?wait=true: a run that is done. */
  async function finishedRun(apiUrl: string) {
    const done = await upload(
      apiUrl,
      await readFile(three.pdfPath),
      undefined,
      `?wait=true&timeoutMs=${timeoutMs}`,
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    return done;
  }

  /** A 400 with `code` for this upload, and not one blob written. */
  async function expectRefusedBeforeStorage(
    key: string | undefined,
    headers: Record<string, string>,
    code: string,
  ) {
    const { apiUrl, blobs } = target.stack();
    const before = await blobs.list('invoices/');
    const answer = await upload(apiUrl, await readFile(three.pdfPath), key, '', headers);
    expect(answer.status, JSON.stringify(headers)).toBe(400);
    expect(answer.body.error.code).toBe(code);
    expect(await blobs.list('invoices/')).toEqual(before);
  }

  describe(`production behaviours: ${target.name}`, () => {
    it('GET /healthz declares every production behaviour with its engine mechanism', async () => {
      const body = (await (await fetch(`${target.stack().apiUrl}/healthz`)).json()) as HealthBody;
      for (const behaviour of PRODUCTION_BEHAVIOURS) {
        expect(body.behaviours?.[behaviour], `behaviour ${behaviour}`).toMatch(/\S/);
      }
    });

    it('20 simultaneous identical POSTs with one Idempotency-Key make one run and one LLM call per page', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl, llmUrl } = target.stack();
      await llm.reset(llmUrl);
      const pdf = await readFile(three.pdfPath);
      const key = `conformance-${randomUUID()}`;
      const answers = await Promise.all(Array.from({ length: 20 }, () => upload(apiUrl, pdf, key)));
      const ids = new Set(answers.map((a) => a.body.id));
      const refused = answers.filter((a) => a.status !== 202 && a.status !== 200);
      expect(refused, JSON.stringify(refused.slice(0, 3))).toEqual([]);
      expect(ids.size).toBe(1);
      const [id] = [...ids] as [string];
      const done = await untilFinal(apiUrl, id, timeoutMs);
      expect(done.status).toBe('completed');
      expect(serializeInvoice(done.invoice!)).toBe(await readFile(three.goldenPath, 'utf8'));
      // Once done, the same key answers 200 with the same run, and still no second run.
      const again = await upload(apiUrl, pdf, key);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(id);
      expect(again.body.status).toBe('completed');
      const m = await llm.metrics(llmUrl);
      expect(m.pages).toBe(three.pages);
      expect(m.totalCalls).toBe(three.pages);
      expect(m.duplicateSuccesses).toBe(0);
    });

    it('the same Idempotency-Key with another PDF is a 409, and the first run is untouched', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl } = target.stack();
      const key = `conformance-${randomUUID()}`;
      const first = await upload(
        apiUrl,
        await readFile(three.pdfPath),
        key,
        `?wait=true&timeoutMs=${timeoutMs}`,
      );
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const clash = await upload(apiUrl, await readFile(other.pdfPath), key);
      expect(clash.status).toBe(409);
      expect(clash.body.error.code).toBe('idempotency_conflict');
      const after = await statusOf(apiUrl, first.body.id);
      expect(serializeInvoice(after.invoice!)).toBe(await readFile(three.goldenPath, 'utf8'));
    });

    for (const [label, key] of [
      ['empty', ''],
      ['129 characters', 'k'.repeat(129)],
      ['a space', 'has space'],
      ['a slash', 'a/b'],
      ['a quote', 'a"b'],
    ] as const) {
      it(`an Idempotency-Key with ${label} is a 400 invalid_idempotency_key, and nothing is stored`, async () => {
        await expectRefusedBeforeStorage(key, {}, 'invalid_idempotency_key');
      });
    }

    it('cancel mid fan-out ends the run as cancelled; a second cancel is a 409', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl, llmUrl } = target.stack();
      const run = await cancelMidFanout(apiUrl, llmUrl, timeoutMs);
      expect(run.uploadStatus).toBe(202);
      expect(run.cancelStatus).toBe(202);
      expect(run.end).toBe('cancelled');
      // What the engine still spent after the cancel: reported, not asserted (it is the measurement).
      console.log(
        `[production] ${target.name}: cancel at ${run.pagesDoneAtCancel}/${run.pages} pages; ` +
          `${run.callsStartedAfter} LLM calls started after the cancel, ` +
          `${run.servedAfter} still served after it, ` +
          `${run.abortedAfter} of them aborted by the stack (the mock still serves those)`,
      );
      expect(run.settledStatus).toBe('cancelled');
      expect(run.secondCancel).toEqual({ status: 409, code: 'not_cancellable' });
    });

    it('cancelling a finished run is a 409, an unknown id a 404', { timeout: timeoutMs }, async () => {
      const { apiUrl } = target.stack();
      const done = await finishedRun(apiUrl);
      const finished = await cancel(apiUrl, done.body.id);
      expect(finished.status).toBe(409);
      expect(((await finished.json()) as ErrorBody).error.code).toBe('not_cancellable');
      const unknown = await cancel(apiUrl, '00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as ErrorBody).error.code).toBe('not_found');
    });

    it('an invoice with a discrepancy waits in awaiting_approval; rejected, it ends rejected with the decision on it; a second decision is a 409', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl } = target.stack();
      const { status, body } = await upload(apiUrl, await readFile(mismatch.pdfPath));
      expect(status).toBe(202);
      const waiting = await untilFinal(apiUrl, body.id, timeoutMs, ['awaiting_approval']);
      expect(waiting.status).toBe('awaiting_approval');
      expect(waiting.invoice).toBeUndefined();
      const refused = await decide(apiUrl, body.id, { approved: false, note: 'the total is wrong' });
      expect(refused.status, JSON.stringify(refused.body)).toBe(202);
      const end = await untilFinal(apiUrl, body.id, timeoutMs);
      expect(end.status).toBe('rejected');
      expect(end.error).toBe('approval_rejected');
      expect(end.invoice?.approval).toEqual({
        approved: false,
        note: 'the total is wrong',
        decidedBy: 'approver',
      });
      const late = await decide(apiUrl, body.id, { approved: true });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('not_awaiting_approval');
    });

    it('no decision within Approval-Timeout-Ms ends the run rejected with approval_timeout, on the run timer', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl } = target.stack();
      const { status, body } = await upload(apiUrl, await readFile(mismatch.pdfPath), undefined, '', {
        [APPROVAL_TIMEOUT_HEADER]: '3000',
      });
      expect(status).toBe(202);
      const end = await untilFinal(apiUrl, body.id, timeoutMs);
      expect(end.status).toBe('rejected');
      expect(end.error).toBe('approval_timeout');
      expect(end.invoice?.approval).toEqual({ approved: false, note: null, decidedBy: 'timeout' });
    });

    it('a decision for a run that is not waiting is a 409, for an unknown id a 404, and a malformed one a 400', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl } = target.stack();
      const done = await finishedRun(apiUrl);
      expect(done.body.invoice?.approval).toBeUndefined();
      const notWaiting = await decide(apiUrl, done.body.id, { approved: true });
      expect(notWaiting.status).toBe(409);
      expect(notWaiting.body.error.code).toBe('not_awaiting_approval');
      const unknown = await decide(apiUrl, '00000000-0000-4000-8000-000000000000', { approved: true });
      expect(unknown.status).toBe(404);
      for (const bad of [{}, { approved: 'yes' }, { approved: true, note: 'n'.repeat(1001) }]) {
        const malformed = await decide(apiUrl, done.body.id, bad);
        expect(malformed.status, JSON.stringify(bad)).toBe(400);
        expect(malformed.body.error.code).toBe('invalid_approval');
      }
    });

    it('a run limit header that is not a positive whole number is a 400 invalid_run_limit, and nothing is stored', async () => {
      for (const [header, value] of [
        [DEADLINE_HEADER, 'soon'],
        [APPROVAL_TIMEOUT_HEADER, '0'],
        [DEADLINE_HEADER, '-5'],
      ] as const) {
        await expectRefusedBeforeStorage(undefined, { [header]: value }, 'invalid_run_limit');
      }
    });

    it('a page whose LLM call hangs fails the run with deadline_exceeded past Invoice-Deadline-Ms; the next invoice completes', {
      timeout: timeoutMs,
    }, async () => {
      const { apiUrl, llmUrl } = target.stack();
      await llm.configure(llmUrl, { ...NEUTRAL, hangPages: [2] });
      try {
        const hungBefore = (await llm.metrics(llmUrl)).failures.hang;
        // Far below one hung attempt (the LLM policy's 30 s timeout), so only the deadline can end
        // it; still several times what the slowest stack (Prefect) takes to reach its extract.
        const { status, body } = await upload(apiUrl, await readFile(three.pdfPath), undefined, '', {
          [DEADLINE_HEADER]: '5000',
        });
        expect(status).toBe(202);
        const end = await untilFinal(apiUrl, body.id, timeoutMs);
        expect(end.status).toBe('failed');
        expect(end.error).toMatch(/deadline_exceeded/);
        // The deadline ended a run that was waiting on the hung page, not one still splitting.
        expect((await llm.metrics(llmUrl)).failures.hang).toBeGreaterThan(hungBefore);
      } finally {
        await llm.configure(llmUrl, NEUTRAL);
      }
      const next = await finishedRun(apiUrl);
      expect(serializeInvoice(next.body.invoice!)).toBe(await readFile(three.goldenPath, 'utf8'));
    });
  });
}
