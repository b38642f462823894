import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';

export type DaprStack = { handle: StackHandle; blobs: BlobStore };

/** The real Dapr stack (daprd, placement, scheduler, services), once per test file. */
export async function startDapr(settings: Record<string, string> = {}): Promise<DaprStack> {
  const handle = await upStack('dapr', { settings });
  return { handle, blobs: blobStoreFromEnv(handle.env) };
}

export { expectGolden, sample, submit, until, untilInFlight } from '@invoice/tools/testing/stack-client';
