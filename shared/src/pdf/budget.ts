import { constants, inflateSync } from 'node:zlib';

/**
 * The work one upload may cost, so that a small file cannot hold a worker (or the machine):
 * every page is rendered at a scale that fits it into `maxPageSidePx`, the whole invoice into
 * `maxTotalPixels`, the streams it decompresses into `maxDecodedBytes`, one image into
 * `maxImagePixels`, and one split into `maxSplitMs` of wall time.
 */
export type WorkBudget = {
  /** long side of a rendered page, in pixels (PDF_MAX_PAGE_SIDE_PX) */
  maxPageSidePx: number;
  /** sum of rendered pixels over all pages (PDF_MAX_TOTAL_PIXELS) */
  maxTotalPixels: number;
  /** sum of decoded bytes of all non-image streams (PDF_MAX_DECODED_BYTES) */
  maxDecodedBytes: number;
  /** width × height of one embedded image (PDF_MAX_IMAGE_PIXELS) */
  maxImagePixels: number;
  /** wall time one split may take before it is stopped for good (SPLIT_MAX_MS) */
  maxSplitMs: number;
};

export const DEFAULT_WORK_BUDGET: WorkBudget = {
  // A4 (595 × 842 pt) still renders at scale 1; a 14,400 pt page renders at ~0.14.
  maxPageSidePx: 2_000,
  // 500 A4 pages at scale 1 are 250 MP; 200 giant pages at the page cap would be 800 MP.
  maxTotalPixels: 300_000_000,
  maxDecodedBytes: 64 * 1024 * 1024,
  // A4 scanned at 600 dpi is ~35 MP.
  maxImagePixels: 40_000_000,
  maxSplitMs: 120_000,
};

/** The budget from the environment; unset or invalid values fall back to the defaults. */
export function workBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): WorkBudget {
  const read = (name: string, fallback: number) => {
    const value = env[name];
    const n = Number(value);
    return value !== undefined && value.trim() !== '' && Number.isInteger(n) && n > 0 ? n : fallback;
  };
  const d = DEFAULT_WORK_BUDGET;
  return {
    maxPageSidePx: read('PDF_MAX_PAGE_SIDE_PX', d.maxPageSidePx),
    maxTotalPixels: read('PDF_MAX_TOTAL_PIXELS', d.maxTotalPixels),
    maxDecodedBytes: read('PDF_MAX_DECODED_BYTES', d.maxDecodedBytes),
    maxImagePixels: read('PDF_MAX_IMAGE_PIXELS', d.maxImagePixels),
    maxSplitMs: read('SPLIT_MAX_MS', d.maxSplitMs),
  };
}

export type WorkBudgetCode =
  | 'render_budget_exceeded'
  | 'decompression_bomb'
  | 'image_too_large'
  | 'split_budget_exceeded';

/**
 * A budget was exceeded. Never worth retrying: the same bytes cost the same again, so every
 * stack maps it to its engine's non-retryable failure. The message starts with the code, which
 * is how the code reaches the run's `error` string on every engine.
 */
export class WorkBudgetError extends Error {
  readonly nonRetryable = true;
  /** the custom engine and the LLM client read `retryable` */
  readonly retryable = false;
  constructor(
    readonly code: WorkBudgetCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'WorkBudgetError';
  }
}

/** Whether an error (or its serialized message, as engines hand it back) is a budget failure. */
export function isWorkBudgetFailure(error: unknown): boolean {
  if (error instanceof WorkBudgetError) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /\b(render_budget_exceeded|decompression_bomb|image_too_large|split_budget_exceeded):/.test(message);
}

/** The scale that fits a page of `width × height` (scale-1 pixels) into the long-side budget. */
export function fitScale(width: number, height: number, maxSidePx: number): number {
  const longSide = Math.max(width, height);
  return longSide <= maxSidePx ? 1 : maxSidePx / longSide;
}

/** Canvas side for a scaled length: rounded up, but not for float noise (841.89 × 421/841.89). */
export const canvasSide = (length: number) => Math.max(1, Math.ceil(length - 1e-6));

/** Pixels of a page rendered at its fit scale (the canvas size renderPage allocates). */
export function renderedPixels(width: number, height: number, maxSidePx: number): number {
  const scale = fitScale(width, height, maxSidePx);
  return canvasSide(width * scale) * canvasSide(height * scale);
}

/** Throws render_budget_exceeded when the pages, each at its fit scale, exceed the total. */
export function checkPixelBudget(
  pageSizes: readonly { width: number; height: number }[],
  budget: WorkBudget,
) {
  let total = 0;
  for (const [index, { width, height }] of pageSizes.entries()) {
    total += renderedPixels(width, height, budget.maxPageSidePx);
    if (total > budget.maxTotalPixels) {
      throw new WorkBudgetError(
        'render_budget_exceeded',
        `rendering pages 1..${index + 1} of ${pageSizes.length} already takes ${total} pixels; ` +
          `the budget per invoice is ${budget.maxTotalPixels}`,
      );
    }
  }
  return total;
}

/**
 * The most a filter can expand its input: deflate ~1032:1, RunLength 128:1, LZW (12-bit codes)
 * ~3641:1. Streams this check does not decode (an undecodable Flate stream, a filter other than
 * a leading Flate) are counted at that worst case, so nothing escapes the count.
 */
const WORST_RATIO: Record<string, number> = { FlateDecode: 1032, RunLengthDecode: 128, LZWDecode: 3641 };
// Filters whose output is an image: its size is bounded by /Width × /Height, checked instead.
const IMAGE_FILTERS = new Set(['DCTDecode', 'JPXDecode', 'JBIG2Decode', 'CCITTFaxDecode']);

export type StreamInfo = { dict: string; data: Uint8Array };

/**
 * Every `<< dict >> stream … endstream` in the raw bytes, found without a PDF parser: pdf-lib
 * inflates object streams while it loads a file, with no limit, so the bomb check must come first.
 */
export function* rawStreams(bytes: Uint8Array): Generator<StreamInfo> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const start = />>\s*stream(\r\n|\n|\r)/g;
  for (let m = start.exec(text); m; m = start.exec(text)) {
    // Walk back to the << that opens this dictionary (dictionaries nest).
    let depth = 0;
    let open = -1;
    for (let i = m.index + 1; i > 0; i--) {
      if (text[i] === '>' && text[i - 1] === '>') {
        depth++;
        i--;
      } else if (text[i] === '<' && text[i - 1] === '<') {
        depth--;
        i--;
        if (depth === 0) {
          open = i;
          break;
        }
      }
    }
    if (open < 0) continue;
    const dict = text.slice(open, m.index + 2);
    const dataStart = m.index + m[0].length;
    const end = text.indexOf('endstream', dataStart);
    let dataEnd = end < 0 ? text.length : end;
    // The end-of-line before `endstream` is not data.
    if (text[dataEnd - 1] === '\n') dataEnd--;
    if (text[dataEnd - 1] === '\r') dataEnd--;
    yield { dict, data: bytes.subarray(dataStart, Math.max(dataStart, dataEnd)) };
    start.lastIndex = dataEnd;
  }
}

function filtersOf(dict: string): string[] {
  const match = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dict);
  return match ? [...match[1]!.matchAll(/\/([A-Za-z0-9]+)/g)].map((f) => f[1]!) : [];
}

const intEntry = (dict: string, key: string) => {
  const match = new RegExp(`/${key}\\s+(\\d+)`).exec(dict);
  return match ? Number(match[1]) : undefined;
};

/**
 * Refuses a file whose streams would decompress past the budget (decompression_bomb) or that
 * embeds an image larger than the image budget (image_too_large), decoding each Flate stream
 * only up to what is left of the budget, so the check itself costs at most the budget.
 */
export function checkStreamBudget(bytes: Uint8Array, budget: WorkBudget): number {
  let decoded = 0;
  const over = () =>
    new WorkBudgetError(
      'decompression_bomb',
      `the PDF's streams decompress to more than ${budget.maxDecodedBytes} bytes`,
    );
  for (const { dict, data } of rawStreams(bytes)) {
    const filters = filtersOf(dict);
    if (/\/Subtype\s*\/Image\b/.test(dict)) {
      const pixels = (intEntry(dict, 'Width') ?? 0) * (intEntry(dict, 'Height') ?? 0);
      if (pixels > budget.maxImagePixels) {
        throw new WorkBudgetError(
          'image_too_large',
          `an embedded image has ${pixels} pixels; the limit is ${budget.maxImagePixels}`,
        );
      }
      // pdfjs reads only width × height worth of an image's stream (its getBytes(length)).
      continue;
    }
    if (IMAGE_FILTERS.has(filters[0] ?? '')) {
      decoded += data.length;
    } else {
      let size = data.length;
      let rest = filters;
      if (filters[0] === 'FlateDecode') {
        rest = filters.slice(1);
        try {
          const left = budget.maxDecodedBytes - decoded;
          size = inflateSync(data, { maxOutputLength: left + 1, finishFlush: constants.Z_SYNC_FLUSH }).length;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw over();
          size = data.length * WORST_RATIO.FlateDecode!;
        }
      }
      // Filters after the first are not decoded here: counted at their worst-case expansion.
      for (const filter of rest) size *= WORST_RATIO[filter] ?? 1;
      decoded += size;
    }
    if (decoded > budget.maxDecodedBytes) throw over();
  }
  return decoded;
}
