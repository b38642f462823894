import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { assertSafeKey, BlobNotFoundError, type BlobStore } from './store';

/**
 * A folder on disk. A put writes a temp file, fsyncs it, renames it over the key and fsyncs the
 * folder: a reader sees the whole blob or none, even if the writer is killed mid-write, and an
 * acknowledged put survives a machine crash (the rename is durable once the folder is synced).
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  constructor(readonly root: string) {}

  private path(key: string) {
    return join(this.root, ...assertSafeKey(key).split('/'));
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    await syncFolder(dirname(target));
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async getText(key: string): Promise<string> {
    return new TextDecoder().decode(await this.get(key));
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  async list(prefix: string): Promise<string[]> {
    const files = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    return files
      .filter((f) => f.isFile() && !f.name.endsWith('.tmp'))
      .map((f) => relative(this.root, join(f.parentPath, f.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    const trimmed = prefix.replace(/\/$/, '');
    if (trimmed === '') throw new Error('refusing to delete the whole store');
    await rm(this.path(trimmed), { recursive: true, force: true });
  }
}

/** fsync of a folder makes the renames in it durable (POSIX: a rename lives in the folder's data). */
async function syncFolder(path: string) {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
