import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import { blobKeys } from '@invoice/shared/blob/keys';
import type { BlobStore } from '@invoice/shared/blob/store';
import { pollUntilFinal } from '@invoice/shared/contract/poll';
import type { InvoiceOrchestrator, RunState } from '@invoice/shared/contract/types';
import { Invoice } from '@invoice/shared/domain/schemas';
import { deadlineMessage, outcomeOf } from '@invoice/shared/flow/approval';
import {
  type FlowRun,
  PrefectHttpError,
  type PrefectRest,
  prefectRest,
  type SetStateResult,
} from './prefect-rest';

/** The deployment prefect/src/invoice_flow/deploy.py registers: <flow name>/<deployment name>. */
export const DEPLOYMENT = { flow: 'invoice', name: 'invoice', pool: process.env.PREFECT_POOL ?? 'invoice' };
/** How often a crashed flow run is put back to Scheduled before the API reports it failed. */
export const MAX_RESUBMITS = Number(process.env.PREFECT_MAX_RESUBMITS ?? 3);
const POLL_MS = 50;
const WATCH_MS = 1_000;
/**
 * A process worker reports one crash twice: its runner as soon as the flow process dies, then
 * the worker itself once its `run` returns (prefect/workers/base.py, "Flow run infrastructure
 * exited..."), seconds later under load. Both proposals are accepted, so a resubmission between
 * them would be overwritten by the second. The watcher therefore waits for the worker's report,
 * or, for crashes no worker will report again (the flow process's own, a dead worker), this long.
 */
const SETTLE_MS = Number(process.env.PREFECT_CRASH_SETTLE_MS ?? 15_000);
const WORKER_REPORT = 'Flow run infrastructure exited';
/**
 * The tag the cancel route puts on a flow run before asking Prefect to cancel it. Killing the
 * flow process can end a run Crashed rather than Cancelled (the runner reports the non-zero exit
 * if its kill wins over the flow's own cancel); the tag keeps such a run cancelled for the API
 * and out of the crash watcher's hands.
 */
export const CANCEL_TAG = 'invoice:cancel-requested';
const cancelRequested = (run: FlowRun) => run.tags?.includes(CANCEL_TAG) ?? false;
/** The tag the flow puts on its run before it suspends for a decision (WAITED_TAG in flow.py). */
export const WAITED_TAG = 'invoice:approval-wait';
/**
 * What Prefect's server writes when a Paused/Suspended run's pause_timeout passes unresumed:
 * its FailExpiredPauses service forces Failed "The flow was paused and never resumed."
 * (server/services/pause_expirations.py), a late resume gets "The flow was suspended and never
 * resumed." (HandleResumingPausedFlows, server/orchestration/core_policy.py).
 */
const PAUSE_EXPIRED = /^The flow was (paused|suspended) and never resumed/;

/**
 * Whether a run is a suspended approval wait that ran out of time: Prefect failed it, and it must
 * run once more so that the flow records the timeout's decision (the suspend finds no input).
 */
export function pauseExpired(run: FlowRun): boolean {
  return (
    run.state?.type === 'FAILED' &&
    PAUSE_EXPIRED.test(run.state.message ?? '') &&
    (run.tags?.includes(WAITED_TAG) ?? false) &&
    !cancelRequested(run)
  );
}

/** Whether a Crashed flow run is ready to be resubmitted now: never one the API was asked to cancel. */
export function crashSettled(run: FlowRun, now = Date.now()): boolean {
  if (run.state?.type !== 'CRASHED' || run.run_count > MAX_RESUBMITS || cancelRequested(run)) return false;
  if (run.state.message?.startsWith(WORKER_REPORT)) return true;
  return now - Date.parse(run.state.timestamp ?? '') >= SETTLE_MS;
}

/**
 * The contract's orchestrator on a self-hosted Prefect 3 server, over its REST API. A run is a
 * flow run of the `invoice/invoice` deployment named after the invoice id (so any API process
 * finds it again) with the invoice id as idempotency key (a retried start cannot create a second).
 *
 * Crashes: a flow process that dies (SIGKILL, OOM) is marked Crashed by the worker that spawned
 * it; Prefect does not re-run Crashed runs by itself. `watchCrashes` puts them back to Scheduled
 * (state AwaitingRetry, as Prefect's own flow retries do) and a worker picks them up again; with
 * persisted results and cache_policy=INPUTS the re-run re-uses every task that had completed.
 */
export function prefectOrchestrator(
  env = process.env,
  blobs: BlobStore = blobStoreFromEnv(env),
): InvoiceOrchestrator & { watchCrashes(): void; close(): Promise<void> } {
  if (!env.PREFECT_API_URL) throw new Error('PREFECT_API_URL is not set');
  const rest: PrefectRest = prefectRest(env.PREFECT_API_URL);
  const runIds = new Map<string, string>();
  let deploymentId: string | undefined;
  let watching: NodeJS.Timeout | undefined;

  async function deployment(): Promise<string> {
    deploymentId ??= (
      await rest.get<{ id: string }>(`/deployments/name/${DEPLOYMENT.flow}/${DEPLOYMENT.name}`)
    ).id;
    return deploymentId;
  }

  async function findRun(invoiceId: string): Promise<FlowRun | undefined> {
    const known = runIds.get(invoiceId);
    if (known) return rest.get<FlowRun>(`/flow_runs/${known}`);
    const [run] = await rest.post<FlowRun[]>('/flow_runs/filter', {
      flow_runs: { name: { any_: [invoiceId] } },
      limit: 1,
    });
    if (run) runIds.set(invoiceId, run.id);
    return run;
  }

  async function toRunState(invoiceId: string, run: FlowRun): Promise<RunState> {
    // The body hash of an idempotent upload is a parameter of the flow run (its input).
    const sha = run.parameters?.body_sha256;
    const state = await runState(invoiceId, run);
    return typeof sha === 'string' ? { ...state, bodySha256: sha } : state;
  }

  async function runState(invoiceId: string, run: FlowRun): Promise<RunState> {
    if (cancelRequested(run) && run.state?.type === 'CRASHED') {
      return { status: 'cancelled', error: run.state.message ?? 'flow run cancelled' };
    }
    const message = run.state?.message ?? undefined;
    switch (run.state?.type) {
      case 'COMPLETED': {
        // The flow's return value sits in Prefect's result storage; the invoice's own blob
        // (claim-check, at its fixed key) carries the same facts, its decision included.
        const invoiceKey = blobKeys.invoice(invoiceId);
        const invoice = Invoice.parse(JSON.parse(await blobs.getText(invoiceKey)));
        const output = {
          invoiceKey,
          pageCount: invoice.pageCount,
          discrepancyCount: invoice.discrepancies.length,
          ...(invoice.approval ? { approval: invoice.approval } : {}),
        };
        return { ...outcomeOf(output), output };
      }
      case 'FAILED': {
        // The approval wait expired: the re-run that records the timeout's decision is coming.
        if (pauseExpired(run)) return { status: 'running' };
        // The flow's deadline scope ends the run as Prefect's own flow timeout does: Failed, TimedOut.
        const deadlineMs = run.parameters?.deadline_ms;
        if (run.state.name === 'TimedOut' && typeof deadlineMs === 'number') {
          return { status: 'failed', error: deadlineMessage(deadlineMs) };
        }
        return { status: 'failed', error: message ?? 'flow run failed' };
      }
      case 'PAUSED':
        // Only the flow's approval step suspends an invoice flow run.
        return { status: 'awaiting_approval' };
      case 'CANCELLED':
      case 'CANCELLING':
        // Only the cancel route cancels an invoice flow run; Cancelling leads only to Cancelled
        // (the worker kills the flow process, then reports it), so both are the contract's cancelled.
        return { status: 'cancelled', error: message ?? 'flow run cancelled' };
      case 'CRASHED':
        // Still to be resubmitted by watchCrashes, unless it has crashed too often.
        return run.run_count > MAX_RESUBMITS
          ? { status: 'failed', error: `crashed ${run.run_count} times: ${message ?? ''}` }
          : { status: 'running' };
      case 'RUNNING':
        return { status: 'running' };
      default: // SCHEDULED (incl. AwaitingRetry and Resuming), PENDING
        return { status: run.run_count > 0 ? 'running' : 'pending' };
    }
  }

  async function status(invoiceId: string) {
    const run = await findRun(invoiceId);
    return run ? toRunState(invoiceId, run) : undefined;
  }

  /** Puts back to Scheduled the runs `due` says must run again; `filter` narrows the list. */
  async function resubmit(filter: object, due: (run: FlowRun) => boolean, why: string) {
    const listed = await rest.post<FlowRun[]>('/flow_runs/filter', {
      flow_runs: { deployment_id: { any_: [await deployment()] }, ...filter },
      limit: 200,
    });
    for (const { id } of listed.filter((run) => due(run))) {
      // Read again right before the forced resubmission: a cancel may have landed since the list.
      const run = await rest.get<FlowRun>(`/flow_runs/${id}`);
      if (!due(run)) continue;
      await rest.post(`/flow_runs/${run.id}/set_state`, {
        state: { type: 'SCHEDULED', name: 'AwaitingRetry', message: `resubmitted by the invoice API ${why}` },
        force: true,
      });
      console.log(
        `[prefect] resubmitted flow run ${run.id} ${why} (invoice ${run.name}, run_count ${run.run_count}): ${run.state?.message ?? ''}`,
      );
    }
  }

  async function resubmitCrashed() {
    await resubmit({ state: { type: { any_: ['CRASHED'] } } }, crashSettled, 'after a crash');
    await resubmit(
      { state: { type: { any_: ['FAILED'] } }, tags: { all_: [WAITED_TAG] } },
      pauseExpired,
      'to record the approval timeout',
    );
  }

  return {
    name: 'prefect',
    behaviours: {
      idempotentUpload:
        "flow run idempotency_key = run id: create_flow_run inserts ON CONFLICT DO NOTHING on (flow_id, idempotency_key) and returns the existing run (server/models/flow_runs.py); the body hash is the run's body_sha256 parameter",
      cancel:
        'set_state Cancelling: the process worker kills the flow process and marks the run Cancelled (runner/_cancellation_manager.py); a Scheduled run goes straight to Cancelled; tasks already calling the LLM are killed with the process',
      approval:
        "suspend_flow_run(wait_for_input, timeout, key='approval'): the flow process exits and the server holds the run Suspended (no worker slot); POST /flow_runs/{id}/resume with run_input reschedules it and the re-run (cached tasks) reads the input; the server's FailExpiredPauses service fails an expired one, the API re-runs it and the flow records the timeout",
      deadline:
        "prefect.utilities.timeout.timeout, the alarm scope of Prefect's flow timeout, over split+extract+aggregate for what is left of deadline_ms since the run's server start_time: the run ends Failed, TimedOut; in-flight extract threads end at their attempt timeout, no retry (the server refuses task runs of a stopped flow)",
      workers:
        'workers=N process workers polling one work pool; a flow run (its extract tasks are threads of it) runs in a process of its own session, so a SIGKILLed worker leaves it running to its end',
    },
    async start({ invoiceId, pdfKey, acceptedAt, bodySha256, deadlineMs, approvalTimeoutMs }) {
      // The invoice id is the idempotency key: a second create returns the first run, with its
      // parameters, so a repeat with another body is seen by its body_sha256.
      const run = await rest.post<FlowRun>(`/deployments/${await deployment()}/create_flow_run`, {
        name: invoiceId,
        idempotency_key: invoiceId,
        parameters: {
          invoice_id: invoiceId,
          pdf_key: pdfKey,
          accepted_at: acceptedAt,
          ...(bodySha256 === undefined ? {} : { body_sha256: bodySha256 }),
          ...(deadlineMs === undefined ? {} : { deadline_ms: deadlineMs }),
          ...(approvalTimeoutMs === undefined ? {} : { approval_timeout_ms: approvalTimeoutMs }),
        },
      });
      runIds.set(invoiceId, run.id);
    },
    async cancel(invoiceId) {
      const run = await findRun(invoiceId);
      if (!run) throw new Error(`no flow run named ${invoiceId}`);
      // The tag first, so that a run whose kill ends it Crashed is never resubmitted.
      await rest.patch(`/flow_runs/${run.id}`, { tags: [...(run.tags ?? []), CANCEL_TAG] });
      // A Crashed run awaiting resubmission has no process to kill: it is set Cancelled directly
      // (forced, as Crashed is terminal), as Prefect's BypassCancellingFlowRunsWithNoInfra does
      // for a Scheduled one. Anything else is proposed Cancelling, Prefect's own cancel.
      const crashed = run.state?.type === 'CRASHED';
      const result = await rest.post<SetStateResult>(`/flow_runs/${run.id}/set_state`, {
        state: crashed
          ? { type: 'CANCELLED', name: 'Cancelled', message: 'cancelled by the invoice API after a crash' }
          : { type: 'CANCELLING', name: 'Cancelling', message: 'cancelled by the invoice API' },
        force: crashed,
      });
      const type = result.state?.type;
      if (type !== 'CANCELLING' && type !== 'CANCELLED') {
        // e.g. rejected because the run completed in the meantime: the app answers 409.
        throw new Error(`Prefect refused the cancel (${result.status}): ${result.details?.reason ?? type}`);
      }
    },
    async approve(invoiceId, decision) {
      const run = await findRun(invoiceId);
      if (!run) throw new Error(`no flow run named ${invoiceId}`);
      // Prefect's resume: validates run_input against the schema the suspend saved, stores it and
      // puts a Suspended run back to Scheduled ("Resuming"), as prefect.flow_runs.resume_flow_run does.
      const result = await rest.post<SetStateResult>(`/flow_runs/${run.id}/resume`, { run_input: decision });
      if (result.status !== 'ACCEPT') {
        throw new Error(`Prefect refused the resume (${result.status}): ${result.details?.reason ?? ''}`);
      }
    },
    status,
    async wait(invoiceId, timeoutMs) {
      // A failed look (the server restarting) is retried until the deadline.
      return pollUntilFinal(() => status(invoiceId), timeoutMs, POLL_MS);
    },
    async ready() {
      // Ready = the deployment exists and a worker of its pool is online to run it.
      await deployment();
      const workers = await rest.post<{ status: string }[]>(
        `/work_pools/${DEPLOYMENT.pool}/workers/filter`,
        {},
      );
      return workers.some((w) => w.status === 'ONLINE');
    },
    watchCrashes() {
      const tick = async () => {
        await resubmitCrashed().catch((error: Error) => {
          if (!(error instanceof PrefectHttpError && error.status === 404))
            console.error('[prefect] crash watch:', error.message);
        });
        watching = setTimeout(tick, WATCH_MS);
      };
      watching = setTimeout(tick, WATCH_MS);
    },
    async close() {
      clearTimeout(watching);
    },
  };
}
