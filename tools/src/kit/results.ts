import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../launcher/registry';

export const RESULTS_DIR = join(REPO_ROOT, 'docs/results');

/** Where and how a result was measured, stamped into every JSON file the kit writes. */
export function provenance() {
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    command: ['pnpm', process.env.npm_lifecycle_event ?? process.argv[1], ...process.argv.slice(2)]
      .filter(Boolean)
      .join(' '),
  };
}

export async function writeResult(name: string, data: unknown): Promise<string> {
  const file = join(RESULTS_DIR, name);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return file;
}

export async function readResult<T>(name: string): Promise<T | undefined> {
  return readFile(join(RESULTS_DIR, name), 'utf8').then(
    (text) => JSON.parse(text) as T,
    () => undefined,
  );
}
