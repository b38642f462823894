import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobKeys } from '../blob/keys';
import { LocalBlobStore } from '../blob/local';
import { Invoice } from '../domain/schemas';
import { validatePdf } from '../pdf/validate';
import { SAMPLES } from '../samples/corpus';
import { type Activities, activitiesFromEnv } from './activities';
import { readSyntheticSpec, syntheticLatencyOf, syntheticSpecPdf, withSyntheticSet } from './synthetic';
import type { AggregateInput, ExtractInput, RecordDecisionInput, SplitInput } from './types';

const dir = await mkdtemp(join(tmpdir(), 'synthetic-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const blobs = new LocalBlobStore(dir);

/** Stands in for the real activities and records which of them were reached. */
function recordingReal() {
  const calls: string[] = [];
  const real: Activities = {
    split: async (input: SplitInput) => {
      calls.push(`split ${input.invoiceId}`);
      return { pages: [], span: { startedAt: 0, finishedAt: 0 } };
    },
    extract: async (input: ExtractInput, cancelled?: AbortSignal) => {
      calls.push(`extract ${input.page.textKey}${cancelled ? ' (cancellable)' : ''}`);
      return { pageNumber: 1, extractionKey: 'x', attempts: 1, span: { startedAt: 0, finishedAt: 0 } };
    },
    aggregate: async (input: AggregateInput) => {
      calls.push(`aggregate ${input.invoiceId}`);
      return { invoiceKey: 'x', pageCount: 0, discrepancyCount: 0 };
    },
    recordDecision: async (input: RecordDecisionInput) => {
      calls.push(`recordDecision ${input.invoiceId}`);
      return { invoiceKey: 'x', pageCount: 0, discrepancyCount: 0, approval: input.approval };
    },
  };
  return { real, calls };
}

describe('synthetic spec PDF', () => {
  it('passes the upload validation as a one-page PDF, whatever page count it asks for', async () => {
    const pdf = await syntheticSpecPdf({ pages: 1000, latencyMs: 100 });
    await expect(validatePdf(pdf)).resolves.toEqual({ pageCount: 1 });
    expect(readSyntheticSpec(pdf)).toEqual({ pages: 1000, latencyMs: 100 });
  });

  it('is not found in any real sample', async () => {
    for (const sample of SAMPLES) expect(readSyntheticSpec(await readFile(sample.pdfPath))).toBeUndefined();
  });

  it('refuses a spec without pages or with a fractional latency', async () => {
    await expect(syntheticSpecPdf({ pages: 0, latencyMs: 0 })).rejects.toThrow(/pages/);
    await expect(syntheticSpecPdf({ pages: 1, latencyMs: 0.5 })).rejects.toThrow(/latencyMs/);
  });
});

describe('withSyntheticSet', () => {
  it('runs a synthetic upload without the real activities: N refs, L on each, an invoice of N pages', async () => {
    const { real, calls } = recordingReal();
    const activities = withSyntheticSet(real, blobs);
    const invoiceId = 'aaaaaaaa-0000-0000-0000-000000000001';
    const pdfKey = blobKeys.sourcePdf(invoiceId);
    await blobs.put(pdfKey, await syntheticSpecPdf({ pages: 7, latencyMs: 0 }));

    const split = await activities.split({ invoiceId, pdfKey });
    expect(split.pages.map((p) => p.pageNumber)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(split.pages.map(syntheticLatencyOf)).toEqual(Array(7).fill(0));
    for (const p of split.pages) expect(p.textKey.startsWith(blobKeys.invoicePrefix(invoiceId))).toBe(true);

    const extractions = await Promise.all(split.pages.map((page) => activities.extract({ invoiceId, page })));
    const result = await activities.aggregate({ invoiceId, acceptedAt: 0, split: split.span, extractions });
    expect(result).toEqual({ invoiceKey: blobKeys.invoice(invoiceId), pageCount: 7, discrepancyCount: 0 });
    const invoice = Invoice.parse(JSON.parse(await blobs.getText(result.invoiceKey)));
    expect([invoice.invoiceNumber, invoice.pageCount]).toEqual(['synthetic', 7]);
    expect(await blobs.exists(blobKeys.timings(invoiceId))).toBe(true);
    // Nothing but the upload, the invoice and its timings: no page was rendered or extracted.
    expect(await blobs.list(blobKeys.invoicePrefix(invoiceId))).toHaveLength(3);
    expect(calls).toEqual([]);
  });

  it('hands an ordinary upload to the real activities, step by step', async () => {
    const { real, calls } = recordingReal();
    const activities = withSyntheticSet(real, blobs);
    const invoiceId = 'aaaaaaaa-0000-0000-0000-000000000002';
    const pdfKey = blobKeys.sourcePdf(invoiceId);
    await blobs.put(pdfKey, await readFile(SAMPLES[0]!.pdfPath));
    await activities.split({ invoiceId, pdfKey });
    const page = {
      pageNumber: 1,
      renderScale: 1,
      pdfKey: blobKeys.pagePdf(invoiceId, 1),
      pngKey: blobKeys.pagePng(invoiceId, 1),
      textKey: blobKeys.pageText(invoiceId, 1),
    };
    // The cancel signal reaches the real extract: a cancelled run or a deadline aborts its LLM call.
    const extraction = await activities.extract({ invoiceId, page }, new AbortController().signal);
    await activities.aggregate({
      invoiceId,
      acceptedAt: 0,
      split: { startedAt: 0, finishedAt: 0 },
      extractions: [extraction],
    });
    expect(calls).toEqual([
      `split ${invoiceId}`,
      `extract ${page.textKey} (cancellable)`,
      `aggregate ${invoiceId}`,
    ]);
  });
});

describe('activitiesFromEnv', () => {
  const env = { BLOB_STORE: 'local', BLOB_DIR: dir, LLM_URL: 'http://127.0.0.1:1' };
  it('refuses an unknown ACTIVITY_MODE instead of running the real activities silently', () => {
    expect(() => activitiesFromEnv({ retries: 'engine' }, { ...env, ACTIVITY_MODE: 'fake' })).toThrow(
      /ACTIVITY_MODE/,
    );
  });

  it('runs a synthetic upload with ACTIVITY_MODE=synthetic', async () => {
    const activities = activitiesFromEnv({ retries: 'engine' }, { ...env, ACTIVITY_MODE: 'synthetic' });
    const invoiceId = 'aaaaaaaa-0000-0000-0000-000000000003';
    const pdfKey = blobKeys.sourcePdf(invoiceId);
    await blobs.put(pdfKey, await syntheticSpecPdf({ pages: 2, latencyMs: 0 }));
    expect((await activities.split({ invoiceId, pdfKey })).pages).toHaveLength(2);
  });
});
