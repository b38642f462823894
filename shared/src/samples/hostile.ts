import { constants, deflateSync } from 'node:zlib';
import { PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import { fixPdfMetadata } from '../pdf/split';

/**
 * Uploads built to cost far more than their bytes suggest (see budget.ts). Each is deterministic;
 * tools/src/samples/write-samples.ts commits the small ones under data/hostile/, the bomb is made
 * at test time (it is 94 KB of deflate that inflates to 96 MiB).
 */

const save = (doc: PDFDocument, title: string) => {
  fixPdfMetadata(doc, title);
  return doc.save();
};

/** `invoice` with its one page grown to 14,400 × 14,400 pt: its text (and golden invoice) unchanged. */
export async function giantPagePdf(invoice: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.load(invoice, { updateMetadata: false });
  for (const page of doc.getPages()) page.setMediaBox(0, 0, 14_400, 14_400);
  return save(doc, 'giant page');
}

/** `pages` blank pages of `side` × `side` pt: a few hundred bytes per page, megapixels each. */
export async function bigPagesPdf(pages = 200, side = 3_000): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (let i = 0; i < pages; i++) doc.addPage([side, side]);
  return save(doc, `${pages} pages of ${side} pt`);
}

/** One page whose content stream inflates to `inflatedBytes` of spaces. */
export async function deflateBombPdf(inflatedBytes = 96 * 1024 * 1024): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([595, 842]);
  const compressed = deflateSync(Buffer.alloc(inflatedBytes, 0x20), { level: constants.Z_BEST_COMPRESSION });
  const stream = doc.context.stream(compressed, { Filter: 'FlateDecode' });
  page.node.set(PDFName.of('Contents'), doc.context.register(stream));
  return save(doc, 'deflate bomb');
}

/** `doc`'s page tree with its root /Count set to `count`, whatever the tree really holds. */
async function withPageCount(doc: PDFDocument, count: number, title: string) {
  doc.catalog.Pages().set(PDFName.of('Count'), PDFNumber.of(count));
  return save(doc, title);
}

/** `pages` real pages behind a root /Count of 1. */
export async function countTooLowPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (let i = 0; i < pages; i++) doc.addPage([72, 72]);
  return withPageCount(doc, 1, `${pages} pages, /Count 1`);
}

/** `invoice` with a root /Count of a million: the real page tree is what counts. */
export async function countTooHighPdf(invoice: Uint8Array): Promise<Uint8Array> {
  return withPageCount(
    await PDFDocument.load(invoice, { updateMetadata: false }),
    1_000_000,
    '/Count 1000000',
  );
}

/** One page with a 20,000 × 20,000 image declared by a few bytes of "JPEG". */
export async function hugeImagePdf(side = 20_000): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([595, 842]);
  const image = doc.context.stream(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), {
    Type: 'XObject',
    Subtype: 'Image',
    Width: side,
    Height: side,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 8,
    Filter: 'DCTDecode',
  });
  page.node.setXObject(PDFName.of('Im0'), doc.context.register(image));
  return save(doc, 'huge image');
}
