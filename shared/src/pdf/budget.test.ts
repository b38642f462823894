import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../blob/local';
import { createActivities } from '../flow/activities';
import { testFaultOf, withTestFault } from '../flow/test-faults';
import type { LlmClient } from '../llm/client';
import { HOSTILE_INPUTS, SAMPLES } from '../samples/corpus';
import {
  checkPixelBudget,
  checkStreamBudget,
  DEFAULT_WORK_BUDGET,
  fitScale,
  isWorkBudgetFailure,
  renderedPixels,
  WorkBudgetError,
  workBudgetFromEnv,
} from './budget';
import { PdfValidationError, validatePdf } from './validate';

const budget = DEFAULT_WORK_BUDGET;
const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as WorkBudgetError;
  }
  throw new Error('expected a WorkBudgetError');
};

describe('the pixel budget', () => {
  it('keeps A4 at scale 1 and fits a giant page into the long-side cap', () => {
    expect(fitScale(595, 842, 2000)).toBe(1);
    expect(fitScale(14_400, 7_200, 2000)).toBeCloseTo(2000 / 14_400);
    expect(renderedPixels(14_400, 14_400, 2000)).toBe(4_000_000);
    expect(renderedPixels(14_400, 1, 2000)).toBe(2000);
  });

  it('refuses the invoice once its pages add up past the total, naming the page', () => {
    const pages = Array(100).fill({ width: 3000, height: 3000 });
    const error = failure(() => checkPixelBudget(pages, { ...budget, maxTotalPixels: 10_000_000 }));
    expect(error.code).toBe('render_budget_exceeded');
    expect(error.message).toMatch(/^render_budget_exceeded: rendering pages 1\.\.3 of 100/);
    expect(checkPixelBudget(pages.slice(0, 2), { ...budget, maxTotalPixels: 10_000_000 })).toBe(8_000_000);
  });
});

describe('the stream budget', () => {
  const withStream = (dict: string, data: Uint8Array) =>
    Buffer.concat([
      Buffer.from(`%PDF-1.7\n1 0 obj\n<< ${dict} /Length ${data.length} >>\nstream\n`),
      data,
      Buffer.from('\nendstream\nendobj\n%%EOF\n'),
    ]);

  it('decodes Flate streams and counts what they inflate to', () => {
    const bytes = withStream('/Filter /FlateDecode', deflateSync(Buffer.alloc(10_000, 0x20)));
    expect(checkStreamBudget(bytes, budget)).toBe(10_000);
  });

  it('stops inflating a bomb at the budget and refuses it as decompression_bomb', () => {
    const bytes = withStream('/Filter /FlateDecode', deflateSync(Buffer.alloc(2_000_000)));
    const error = failure(() => checkStreamBudget(bytes, { ...budget, maxDecodedBytes: 1_000_000 }));
    expect(error.code).toBe('decompression_bomb');
  });

  it('counts filters it does not decode at their worst-case expansion', () => {
    const data = Buffer.alloc(1_000, 0x41);
    expect(checkStreamBudget(withStream('/Filter [/ASCII85Decode /FlateDecode]', data), budget)).toBe(
      1_032_000,
    );
    expect(checkStreamBudget(withStream('/Filter /LZWDecode', data), budget)).toBe(3_641_000);
    // Not deflate at all: an undecodable Flate stream is counted as if it were the worst.
    expect(checkStreamBudget(withStream('/Filter /FlateDecode', data), budget)).toBe(1_032_000);
  });

  it('checks an image by its declared size instead of decoding it', () => {
    const image = (w: number) =>
      withStream(`/Subtype /Image /Width ${w} /Height 1000 /Filter /DCTDecode`, Buffer.alloc(4));
    expect(checkStreamBudget(image(1000), budget)).toBe(0);
    expect(failure(() => checkStreamBudget(image(100_000), budget)).code).toBe('image_too_large');
  });

  it('reads its limits from the environment', () => {
    expect(workBudgetFromEnv({})).toEqual(DEFAULT_WORK_BUDGET);
    expect(workBudgetFromEnv({ PDF_MAX_PAGE_SIDE_PX: '1000', SPLIT_MAX_MS: 'x' })).toEqual({
      ...DEFAULT_WORK_BUDGET,
      maxPageSidePx: 1000,
    });
  });
});

describe('the hostile corpus at validation', () => {
  for (const input of HOSTILE_INPUTS) {
    it(`${input.name}: ${input.status === 422 ? `422 ${input.code}` : 'accepted'}`, async () => {
      const outcome = await validatePdf(await input.load()).catch((e: unknown) => e);
      if (input.status === 200) {
        expect(outcome).toEqual({ pageCount: 1 });
      } else {
        expect(outcome).toBeInstanceOf(PdfValidationError);
        expect([(outcome as PdfValidationError).status, (outcome as PdfValidationError).code]).toEqual([
          422,
          input.code,
        ]);
      }
    });
  }
});

describe('split within the budget', () => {
  let dir: string;
  let blobs: LocalBlobStore;
  const llm = {} as LlmClient;
  const source = async (bytes: Uint8Array) => {
    await blobs.put('invoices/x/source.pdf', bytes);
    return { invoiceId: 'x', pdfKey: 'invoices/x/source.pdf' };
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'budget-'));
    blobs = new LocalBlobStore(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('records the scale each page was rendered at', async () => {
    const giant = HOSTILE_INPUTS.find((i) => i.name === 'giant-page')!;
    const { pages } = await createActivities({ blobs, llm }).split(await source(await giant.load()));
    expect(pages).toHaveLength(1);
    expect(pages[0]!.renderScale).toBeCloseTo(2000 / 14_400, 6);
  });

  it('stops at once with split_budget_exceeded when the split runs past its time', async () => {
    const pdf = new Uint8Array(await readFile(SAMPLES.find((s) => s.pages === 3)!.pdfPath));
    const activities = createActivities({ blobs, llm, budget: { ...budget, maxSplitMs: 1 } });
    const error = await activities.split(await source(pdf)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkBudgetError);
    expect((error as WorkBudgetError).code).toBe('split_budget_exceeded');
    expect(isWorkBudgetFailure(new Error(`activity failed: ${(error as Error).message}`))).toBe(true);
  });

  it('re-checks the stream budget itself, whatever the API let through', async () => {
    const bomb = await HOSTILE_INPUTS.find((i) => i.name === 'deflate-bomb')!.load();
    const error = await createActivities({ blobs, llm })
      .split(await source(bomb))
      .catch((e: unknown) => e);
    expect((error as WorkBudgetError).code).toBe('decompression_bomb');
  });
});

describe('test faults (test only)', () => {
  const pdf = async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    return doc.save();
  };

  it('an unmarked PDF has none; over-budget throws the budget error', async () => {
    expect(testFaultOf(await pdf())).toBeUndefined();
    const fault = testFaultOf(withTestFault(await pdf(), 'over-budget'));
    expect(failure(() => fault!()).code).toBe('split_budget_exceeded');
  });

  it('a marked PDF still validates, and exit SIGKILLs the process that splits it', async () => {
    const marked = withTestFault(await pdf(), 'exit');
    await expect(validatePdf(marked)).resolves.toEqual({ pageCount: 1 });
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./test-faults.ts').then((m) => m.testFaultOf(Buffer.from(process.argv[1], 'base64'))?.())`,
        Buffer.from(marked).toString('base64'),
      ],
      { cwd: new URL('../flow/', import.meta.url).pathname, encoding: 'utf8' },
    );
    expect(child.signal).toBe('SIGKILL');
  });
});
