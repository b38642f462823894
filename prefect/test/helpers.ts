import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { type FlowRun, prefectRest } from '../src/prefect-rest';

export type PrefectStack = {
  handle: StackHandle;
  blobs: BlobStore;
  flowRun(invoiceId: string): Promise<FlowRun>;
};

/** The real Prefect stack (server, worker, services), once per test file. */
export async function startPrefect(settings: Record<string, string> = {}): Promise<PrefectStack> {
  const handle = await upStack('prefect', { settings });
  const rest = prefectRest(handle.env.PREFECT_API_URL!);
  return {
    handle,
    blobs: blobStoreFromEnv(handle.env),
    /** The flow run of an invoice, as the Prefect server has it. */
    async flowRun(invoiceId) {
      const [run] = await rest.post<FlowRun[]>('/flow_runs/filter', {
        flow_runs: { name: { any_: [invoiceId] } },
      });
      if (!run) throw new Error(`no flow run named ${invoiceId}`);
      return run;
    },
  };
}

export { expectGolden, sample, submit, until, untilInFlight } from '@invoice/tools/testing/stack-client';
