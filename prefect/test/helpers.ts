import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { type FlowRun, type PrefectRest, prefectRest } from '../src/prefect-rest';

export type PrefectStack = {
  handle: StackHandle;
  blobs: BlobStore;
  /** The Prefect server's REST API. */
  rest: PrefectRest;
  flowRun(invoiceId: string): Promise<FlowRun>;
  /** The task run of `task` (split, aggregate) in an invoice's flow run: its run_count is its attempts. */
  taskRun(invoiceId: string, task: string): Promise<TaskRun>;
};
/** The parts of a Prefect 3 task run (schemas.core.TaskRun) the tests read. */
export type TaskRun = { name: string; run_count: number; state?: FlowRun['state'] };

/** The real Prefect stack (server, worker, services), once per test file. */
export async function startPrefect(settings: Record<string, string> = {}): Promise<PrefectStack> {
  const handle = await upStack('prefect', { settings });
  const rest = prefectRest(handle.env.PREFECT_API_URL!);
  return {
    handle,
    blobs: blobStoreFromEnv(handle.env),
    rest,
    /** The flow run of an invoice, as the Prefect server has it. */
    async flowRun(invoiceId) {
      const [run] = await rest.post<FlowRun[]>('/flow_runs/filter', {
        flow_runs: { name: { any_: [invoiceId] } },
      });
      if (!run) throw new Error(`no flow run named ${invoiceId}`);
      return run;
    },
    async taskRun(invoiceId, task) {
      const runs = await rest.post<TaskRun[]>('/task_runs/filter', {
        flow_runs: { name: { any_: [invoiceId] } },
      });
      const run = runs.find((r) => r.name.startsWith(`${task}-`));
      if (!run)
        throw new Error(`no ${task} task run for ${invoiceId}: ${runs.map((r) => r.name).join(', ')}`);
      return run;
    },
  };
}

export { expectGolden, sample, submit, until, untilInFlight } from '@invoice/tools/testing/stack-client';
