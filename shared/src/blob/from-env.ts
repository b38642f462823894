import { resolve } from 'node:path';
import { AzureBlobStore } from './azure';
import { LocalBlobStore } from './local';
import type { BlobStore } from './store';

/** BLOB_STORE=local (default, BLOB_DIR) or azure (AZURE_STORAGE_CONNECTION_STRING, BLOB_CONTAINER). */
export function blobStoreFromEnv(env = process.env): BlobStore {
  const kind = env.BLOB_STORE ?? 'local';
  if (kind === 'azure') {
    const connection = env.AZURE_STORAGE_CONNECTION_STRING;
    if (!connection) throw new Error('BLOB_STORE=azure needs AZURE_STORAGE_CONNECTION_STRING');
    return new AzureBlobStore(connection, env.BLOB_CONTAINER ?? 'invoices');
  }
  if (kind !== 'local') throw new Error(`BLOB_STORE must be "local" or "azure", not "${kind}"`);
  return new LocalBlobStore(resolve(env.BLOB_DIR ?? '.run/blobs'));
}
