import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from './local';

/** 8 MiB per blob, every byte the blob's own number: a torn or mixed blob cannot pass the check. */
const SIZE = 8 * 1024 * 1024;
const WRITER = `
  const { LocalBlobStore } = await import('./local.ts');
  const store = new LocalBlobStore(process.argv[1]);
  for (let i = 0; ; i++) {
    await store.put('blobs/b' + (i % 4), new Uint8Array(${SIZE}).fill(i % 251));
    process.stdout.write('put ' + i + '\\n');
  }
`;

describe('LocalBlobStore under a writer killed mid-write', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-blob-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('a reader sees each blob whole or not at all, never torn', { timeout: 60_000 }, async () => {
    const store = new LocalBlobStore(root);
    for (let round = 0; round < 5; round++) {
      const writer = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER, root], {
        cwd: new URL('.', import.meta.url).pathname,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let puts = 0;
      writer.stdout.on('data', (chunk: Buffer) => {
        puts += chunk
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('put')).length;
      });
      // Kill once a few puts are done, at a moment that is almost surely inside a write.
      while (puts < 2 + round) await sleep(5);
      await sleep(3 + round * 7);
      const exited = new Promise((resolve) => writer.once('exit', resolve));
      writer.kill('SIGKILL');
      await exited;

      const keys = await store.list('blobs/');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const bytes = await store.get(key);
        expect(bytes.length, key).toBe(SIZE);
        expect(
          bytes.every((b) => b === bytes[0]),
          key,
        ).toBe(true);
      }
      // The killed write leaves only a temp file, which list() never shows as a blob.
      const files = await readdir(join(root, 'blobs'));
      expect(files.filter((f) => !f.endsWith('.tmp')).sort()).toEqual(keys.map((k) => k.split('/')[1]));
    }
  });
});
