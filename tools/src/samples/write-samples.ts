/**
 * Regenerates the committed sample data (`pnpm samples`): sample invoices, their golden JSON and
 * the bad-input corpus. Everything is deterministic except the encrypted PDF (encryption salts
 * are random), which is made once with qpdf and then kept; delete it to make a new one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { validatePdf } from '@invoice/shared/pdf/validate';
import { BAD_INPUTS, DATA_DIR, HOSTILE_INPUTS, SAMPLES } from '@invoice/shared/samples/corpus';
import { generateInvoicePdf } from '@invoice/shared/samples/generate';

async function write(path: string, bytes: Uint8Array | string) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  console.log(`wrote ${relative(process.cwd(), path)}`);
}

for (const sample of SAMPLES) {
  const { pdf, expected } = await generateInvoicePdf(sample.spec);
  await write(sample.pdfPath, pdf);
  await write(sample.goldenPath, serializeInvoice(expected));
}

const bad = join(DATA_DIR, 'bad');
const source = new Uint8Array(await readFile(SAMPLES.find((s) => s.name === 'invoice-3p')!.pdfPath));
await write(join(bad, 'empty.pdf'), new Uint8Array());
await write(
  join(bad, 'not-a-pdf.txt'),
  'This is a plain text file, not a PDF.\nInvoice Number: INV-2026-00001\n',
);
// Cut in half: the %%EOF marker and the cross-reference table are gone.
await write(join(bad, 'truncated.pdf'), source.subarray(0, Math.floor(source.length / 2)));

const encrypted = join(bad, 'encrypted.pdf');
if (!existsSync(encrypted)) {
  // A real encryption (AES-256, user password "secret"), not a hand-made /Encrypt entry.
  execFileSync('qpdf', ['--encrypt', 'secret', 'owner-secret', '256', '--', SAMPLES[0]!.pdfPath, encrypted]);
  console.log(`wrote ${relative(process.cwd(), encrypted)} (qpdf)`);
} else {
  console.log(`kept ${relative(process.cwd(), encrypted)}`);
}

for (const input of HOSTILE_INPUTS) if (input.path) await write(input.path, await input.make());

// Every committed bad input must still be refused with its code, or the corpus is wrong.
for (const input of BAD_INPUTS.filter((i) => i.path)) {
  const code = await validatePdf(await input.load()).then(
    () => 'accepted',
    (error: { code?: string }) => error.code,
  );
  if (code !== input.code) throw new Error(`${input.name}: expected ${input.code}, got ${code}`);
}
for (const input of HOSTILE_INPUTS.filter((i) => i.status === 422)) {
  const code = await validatePdf(await input.load()).then(
    () => 'accepted',
    (error: { code?: string }) => error.code,
  );
  if (input.status === 422 && code !== input.code)
    throw new Error(`${input.name}: expected ${input.code}, got ${code}`);
}
console.log('bad and hostile inputs are refused with their codes');
