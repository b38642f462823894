import { readFile } from 'node:fs/promises';
import type { TextItem } from 'pdfjs-dist/types/src/display/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SAMPLES } from '../samples/corpus';
import { giantPagePdf } from '../samples/hostile';
import { renderPage, textToLines } from './render';
import { splitPdf } from './split';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('renderPage', () => {
  // pdfjs reports font problems through console.log ("Warning: ...") and may write to stderr.
  const output: string[] = [];
  const capture = (...args: unknown[]) => {
    output.push(args.map(String).join(' '));
  };
  let rendered: Awaited<ReturnType<typeof renderPage>>[] = [];
  const stderrWrite = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    for (const method of ['log', 'warn', 'error', 'info'] as const)
      vi.spyOn(console, method).mockImplementation(capture);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const pdf = new Uint8Array(await readFile(SAMPLES.find((s) => s.name === 'invoice-3p')!.pdfPath));
      rendered = [];
      for (const page of await splitPdf(pdf)) rendered.push(await renderPage(page));
    } finally {
      process.stderr.write = stderrWrite;
      vi.restoreAllMocks();
    }
  });

  afterAll(() => vi.restoreAllMocks());

  it('renders each page to a PNG of A4 size at scale 1', () => {
    expect(rendered).toHaveLength(3);
    for (const { png } of rendered) {
      expect([...png.subarray(0, 8)]).toEqual(PNG_MAGIC);
      // IHDR: width and height are big-endian at bytes 16..23; A4 is 595.28 x 841.89 points.
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
      expect([view.getUint32(16), view.getUint32(20)]).toEqual([596, 842]);
    }
  });

  it('prints no warnings (standard fonts are configured)', () => {
    expect(output.filter((line) => /warn/i.test(line))).toEqual([]);
    expect(output).toEqual([]);
  });

  it('reconstructs the text layer into lines, top to bottom', () => {
    const first = rendered[0]!.text.split('\n');
    expect(first[0]).toBe('INVOICE');
    expect(first[1]).toMatch(/^Invoice Number: INV-2026-\d{5}$/);
    expect(first).toContain('Page 1 of 3');
    expect(first.indexOf('Page 1 of 3')).toBeGreaterThan(
      first.findIndex((l) => l.startsWith('Customer Address: ')),
    );
    expect(first.some((l) => /^1 \| SKU-\d{4} \| .+ \| \d+ \| \d+\.\d{2} \| \d+\.\d{2}$/.test(l))).toBe(true);
    const last = rendered[2]!.text.split('\n');
    expect(last.at(-1)).toMatch(/^Total: \d+\.\d{2}$/);
    expect(last.some((l) => l.startsWith('Invoice Number'))).toBe(false);
  });

  it('renders a page larger than maxSidePx at the scale that fits it, and says so', async () => {
    const pdf = new Uint8Array(await readFile(SAMPLES.find((s) => s.name === 'invoice-1p')!.pdfPath));
    const { png, scale, width, height } = await renderPage(pdf, { maxSidePx: 421 });
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([298, 421]);
    expect([width, height]).toEqual([298, 421]);
    expect(scale).toBeCloseTo(421 / 841.89, 6);
  });

  it('a 14,400 pt page costs a 2,000 px canvas by default, with the same text layer', async () => {
    const pdf = new Uint8Array(await readFile(SAMPLES.find((s) => s.name === 'invoice-1p')!.pdfPath));
    const giant = await renderPage(await giantPagePdf(pdf));
    expect([giant.width, giant.height]).toEqual([2000, 2000]);
    expect(giant.scale).toBeCloseTo(2000 / 14_400, 6);
    expect(giant.text).toBe((await renderPage(pdf)).text);
  });
});

describe('textToLines', () => {
  const item = (str: string, x: number, y: number): TextItem => ({
    str,
    transform: [10, 0, 0, 10, x, y],
    height: 10,
    width: 10,
    dir: 'ltr',
    fontName: 'f',
    hasEOL: false,
  });

  it('groups items by baseline, sorts by x within a line, and lines top to bottom', () => {
    const text = textToLines([
      item('world', 60, 700.5),
      item('second', 10, 680),
      item('hello', 10, 700),
      item(' ', 5, 690),
    ]);
    expect(text).toBe('hello world\nsecond');
  });
});

describe('renderPage under sustained load', () => {
  // Regression: without holding the canvas during its threadpool encode, @napi-rs/canvas < 1.0.6
  // segfaulted this process within seconds (3 × 500 pages at once killed the Dapr split service).
  it('renders 3 × 500 pages concurrently in one process and survives', { timeout: 180_000 }, async () => {
    const { generateInvoicePdf } = await import('../samples/generate');
    const pages = await splitPdf((await generateInvoicePdf({ seed: 9500, pages: 500 })).pdf);
    const pngs = await Promise.all(
      [0, 1, 2].map(async () => {
        let count = 0;
        for (const page of pages) if ((await renderPage(page)).png.length > 0) count++;
        return count;
      }),
    );
    expect(pngs).toEqual([500, 500, 500]);
  });
});
