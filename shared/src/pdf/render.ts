import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import type { TextItem } from 'pdfjs-dist/types/src/display/api';
import { canvasSide, DEFAULT_WORK_BUDGET, fitScale } from './budget';

// The legacy build is the one pdfjs supports in Node (it polyfills DOMMatrix/Path2D from @napi-rs/canvas).
// Loaded lazily: processes that only validate uploads never pay its start-up cost.
type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsPromise: Promise<PdfJs> | undefined;
const loadPdfJs = () => {
  pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsPromise;
};

// Without the standard font files pdfjs warns on every page that uses a base-14 font (Helvetica)
// and falls back to a system font; pointing it at its own folder gives exact glyphs and no noise.
const pdfjsRoot = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const STANDARD_FONT_DATA_URL = `${join(pdfjsRoot, 'standard_fonts')}/`;

type CanvasFactory = { create(width: number, height: number): { canvas: Canvas; context: SKRSContext2D } };

export type RenderOptions = {
  /** long side of the canvas in pixels; larger pages are rendered at the scale that fits */
  maxSidePx?: number;
  /** pdfjs drops images of more pixels than this (its maxImageSize) instead of decoding them */
  maxImagePixels?: number;
};
export type RenderedPage = { png: Uint8Array; text: string; scale: number; width: number; height: number };

/**
 * Canvases being encoded. @napi-rs/canvas < 1.0.6 encodes on the libuv threadpool with a raw
 * pointer to the canvas and nothing keeps the canvas alive meanwhile (Brooooooklyn/canvas#1312,
 * fixed in 1.0.6, which pdfjs-dist 5.4's ^0.1 range does not reach). Without this reference a
 * long-lived process rendering hundreds of pages is eventually killed by SIGSEGV, silently.
 */
const encoding = new Set<object>();

/**
 * Renders the first page of a (single-page) PDF to PNG and reconstructs its text layer as lines.
 * Scale 1 (72 dpi), or less for a page whose long side would exceed `maxSidePx`: the mock model
 * reads the text, the PNG is the artefact a real vision model would get, and a giant page must
 * cost what an ordinary one costs (budget.ts). The text layer does not depend on the scale.
 */
export async function renderPage(pagePdf: Uint8Array, opts: RenderOptions = {}): Promise<RenderedPage> {
  const pdfjs = await loadPdfJs();
  const doc = await pdfjs.getDocument({
    // pdfjs transfers (detaches) the buffer it gets; give it a copy so the caller's bytes survive.
    data: new Uint8Array(pagePdf),
    standardFontDataUrl: STANDARD_FONT_DATA_URL,
    isEvalSupported: false,
    disableFontFace: true,
    maxImageSize: opts.maxImagePixels ?? DEFAULT_WORK_BUDGET.maxImagePixels,
  }).promise;
  try {
    const page = await doc.getPage(1);
    const natural = page.getViewport({ scale: 1 });
    const scale = fitScale(
      natural.width,
      natural.height,
      opts.maxSidePx ?? DEFAULT_WORK_BUDGET.maxPageSidePx,
    );
    const viewport = page.getViewport({ scale });
    const width = canvasSide(viewport.width);
    const height = canvasSide(viewport.height);
    // pdfjs's own factory, so the canvas comes from the same @napi-rs/canvas instance pdfjs polyfills from.
    const { canvas, context } = (doc.canvasFactory as CanvasFactory).create(width, height);
    // PDF pages are white paper; the canvas starts transparent.
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    // pdfjs types these as DOM canvas types; @napi-rs/canvas implements the same API.
    type RenderParameters = Parameters<typeof page.render>[0];
    await page.render({
      canvas: canvas as unknown as RenderParameters['canvas'],
      canvasContext: context as unknown as RenderParameters['canvasContext'],
      viewport,
    }).promise;
    let png: Uint8Array;
    encoding.add(canvas);
    try {
      png = new Uint8Array(await canvas.encode('png'));
    } finally {
      encoding.delete(canvas);
    }
    const content = await page.getTextContent();
    const text = textToLines(content.items.filter((i): i is TextItem => 'str' in i));
    page.cleanup();
    return { png, text, scale, width, height };
  } finally {
    await doc.destroy();
  }
}

/**
 * Groups text items into lines: items whose baselines are within half a font height share a line;
 * lines go top to bottom, items left to right, joined with single spaces where pdfjs split them.
 */
export function textToLines(items: readonly TextItem[]): string {
  type Piece = { x: number; y: number; h: number; str: string };
  const pieces: Piece[] = items
    .filter((i) => i.str.trim() !== '')
    .map((i) => ({
      x: i.transform[4] as number,
      y: i.transform[5] as number,
      h: Math.abs(i.height) || 1,
      str: i.str,
    }));
  // PDF y grows upwards: the highest baseline is the top line.
  pieces.sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: Piece[][] = [];
  for (const piece of pieces) {
    const line = lines.at(-1);
    const first = line?.[0];
    if (line && first && Math.abs(first.y - piece.y) <= Math.max(first.h, piece.h) / 2) line.push(piece);
    else lines.push([piece]);
  }
  return lines
    .map((line) =>
      line
        .sort((a, b) => a.x - b.x)
        .map((p) => p.str.trim())
        .join(' '),
    )
    .join('\n');
}
