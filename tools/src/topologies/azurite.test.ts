import type { AzureBlobStore } from '@invoice/shared/blob/azure';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import { blobKeys } from '@invoice/shared/blob/keys';
import { BlobNotFoundError } from '@invoice/shared/blob/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackHandle, upStack } from '../launcher/launcher';

describe('Azure blob store against a real Azurite', () => {
  let azurite: StackHandle;
  let blobs: AzureBlobStore;
  beforeAll(async () => {
    azurite = await upStack('azurite');
    const store = blobStoreFromEnv(azurite.env);
    expect(store.kind).toBe('azure');
    blobs = store as AzureBlobStore;
  });
  afterAll(() => azurite?.down());

  it('round-trips a page: PNG bytes and text, listed under the invoice prefix', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 255]);
    const id = '11111111-2222-4333-8444-555555555555';
    await blobs.put(blobKeys.pagePng(id, 1), png, 'image/png');
    await blobs.put(blobKeys.pageText(id, 1), 'Total: 12.00 — ünïcode');
    expect(await blobs.get(blobKeys.pagePng(id, 1))).toEqual(png);
    expect(await blobs.getText(blobKeys.pageText(id, 1))).toBe('Total: 12.00 — ünïcode');
    expect(await blobs.exists(blobKeys.pagePng(id, 1))).toBe(true);
    expect(await blobs.list(blobKeys.invoicePrefix(id))).toEqual([
      blobKeys.pagePng(id, 1),
      blobKeys.pageText(id, 1),
    ]);
    await blobs.deletePrefix(blobKeys.invoicePrefix(id));
    expect(await blobs.list(blobKeys.invoicePrefix(id))).toEqual([]);
    await expect(blobs.get(blobKeys.pagePng(id, 1))).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('refuses keys that did not come from the server', async () => {
    await expect(blobs.put('../escape', 'x')).rejects.toThrow(/unsafe blob key/);
    await expect(blobs.get('invoices/../../etc/passwd')).rejects.toThrow(/unsafe blob key/);
  });
});
