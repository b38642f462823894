import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { openStore, type SqlStore } from '../src/engine/store';

export type EngineStack = {
  handle: StackHandle;
  apiUrl: string;
  llmUrl: string;
  blobs: BlobStore;
  /** A store handle on the stack's own database, to read attempts and executions. */
  store: SqlStore;
  close(): Promise<void>;
};

/** The custom-engine stack via the launcher, once per file. */
export async function startEngineStack(settings: Record<string, string> = {}): Promise<EngineStack> {
  const handle = await upStack('custom-engine', { settings });
  try {
    const store = await openStore({
      databaseUrl: handle.env.DATABASE_URL,
      sqlitePath: handle.env.CE_SQLITE_PATH,
    });
    return {
      handle,
      apiUrl: handle.apiUrl,
      llmUrl: handle.llmUrl,
      blobs: blobStoreFromEnv(handle.env),
      store,
      async close() {
        await store.close();
        await handle.down();
      },
    };
  } catch (error) {
    await handle.down();
    throw error;
  }
}

export {
  expectGolden,
  runToEnd,
  sample,
  submit,
  until,
  untilInFlight,
} from '@invoice/tools/testing/stack-client';
