import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { blobKeys } from '../blob/keys';
import type { BlobStore } from '../blob/store';
import { Invoice } from '../domain/schemas';
import type { Timings } from '../flow/types';
import { type PdfLimits, PdfValidationError, pdfLimitsFromEnv, validatePdf } from '../pdf/validate';
import { errorResponse } from './errors';
import { bodySha256, IDEMPOTENCY_HEADER, isValidIdempotencyKey, runIdFromKey } from './idempotency';
import { type RunLimits, runLimitsFromEnv, runLimitsOf } from './run-limits';
import {
  type AcceptedBody,
  type HealthBody,
  type InvoiceOrchestrator,
  isFinal,
  type RunState,
  type StatusBody,
} from './types';

export type InvoiceAppOptions = {
  orchestrator: InvoiceOrchestrator;
  blobs: BlobStore;
  limits?: PdfLimits;
  /** upper bound for ?wait=true; a request may ask for less with ?timeoutMs= */
  maxWaitMs?: number;
  /** the deadline and approval timeout of a run (default: from the environment, run-limits.ts) */
  runLimits?: RunLimits;
};

/** The body of POST /api/invoices/:id/approval. */
const ApprovalBody = z.object({
  approved: z.boolean(),
  note: z.string().max(1_000).nullish(),
});

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The common HTTP contract (docs/DESIGN.md), written once. A stack supplies only its orchestrator;
 * validation, storage of the upload, the error shape and reading the claim-checked invoice
 * are the same everywhere, which is what keeps the comparison fair.
 */
export function createInvoiceApp({
  orchestrator,
  blobs,
  limits = pdfLimitsFromEnv(),
  maxWaitMs,
  runLimits = runLimitsFromEnv(),
}: InvoiceAppOptions) {
  const maxBytes = limits.maxBytes ?? 25 * 1024 * 1024;
  const waitCap = maxWaitMs ?? Number(process.env.MAX_WAIT_MS ?? 600_000);
  const app = new Hono();

  async function describe(id: string, state: RunState): Promise<StatusBody> {
    const body: StatusBody = { id, status: state.status };
    // A rejected run has its invoice too: the decision is recorded on it.
    if ((state.status === 'completed' || state.status === 'rejected') && state.output) {
      const [invoice, timings] = await Promise.all([
        blobs.getText(state.output.invoiceKey),
        blobs.getText(blobKeys.timings(id)).catch(() => undefined),
      ]);
      body.invoice = Invoice.parse(JSON.parse(invoice));
      if (timings) body.timings = JSON.parse(timings) as Timings;
    }
    if (state.error) body.error = state.error;
    return body;
  }

  /**
   * A run of an idempotent upload as the engine reports it. An instance created a moment ago
   * may not show its input yet (Dapr reports a just-scheduled instance before its input), so a
   * missing hash (or a failed read) is tried again briefly rather than taken for another body.
   */
  async function runWithInput(id: string): Promise<RunState | undefined> {
    for (let attempt = 0; ; attempt++) {
      const state = await orchestrator.status(id).catch((error: unknown) => {
        if (attempt >= 40) throw error;
        return null;
      });
      if (state === null) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      if (!state || state.bodySha256 !== undefined || attempt >= 40) return state;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  app.get('/healthz', async (c) => {
    const ready = await orchestrator.ready().catch(() => false);
    return ready
      ? c.json({
          status: 'ok',
          orchestrator: orchestrator.name,
          behaviours: orchestrator.behaviours,
        } satisfies HealthBody)
      : errorResponse(c, 503, 'not_ready', `${orchestrator.name} cannot take work yet`);
  });

  app.post(
    '/api/invoices',
    async (c, next) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/pdf') {
        return errorResponse(
          c,
          415,
          'unsupported_media_type',
          `send the PDF as application/pdf, not "${type || 'nothing'}"`,
        );
      }
      const key = c.req.header(IDEMPOTENCY_HEADER);
      if (key !== undefined && !isValidIdempotencyKey(key)) {
        return errorResponse(
          c,
          400,
          'invalid_idempotency_key',
          'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ : ~ -',
        );
      }
      if (key !== undefined && !orchestrator.behaviours.idempotentUpload) {
        return errorResponse(c, 501, 'not_supported', `${orchestrator.name} has no idempotent upload`);
      }
      const asked = runLimitsOf((name) => c.req.header(name), runLimits);
      if (!asked.ok) return errorResponse(c, 400, 'invalid_run_limit', asked.message);
      await next();
    },
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => errorResponse(c, 413, 'too_large', `the PDF is larger than ${maxBytes} bytes`),
    }),
    async (c) => {
      const acceptedAt = Date.now();
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      try {
        await validatePdf(bytes, limits);
      } catch (error) {
        if (error instanceof PdfValidationError) {
          return errorResponse(c, error.status as ContentfulStatusCode, error.code, error.message);
        }
        throw error;
      }
      const key = c.req.header(IDEMPOTENCY_HEADER);
      const idempotent = key === undefined ? undefined : { bodySha256: bodySha256(bytes) };
      const asked = runLimitsOf((name) => c.req.header(name), runLimits);
      const { deadlineMs, approvalTimeoutMs } = asked.ok ? asked.limits : runLimits;
      const invoiceId = key === undefined ? randomUUID() : runIdFromKey(key);
      const statusUrl = `/api/invoices/${invoiceId}`;
      const conflict = () =>
        errorResponse(c, 409, 'idempotency_conflict', 'this Idempotency-Key was used with another PDF', {
          id: invoiceId,
          statusUrl,
        });
      // A repeat finds the run in the engine's own state (the id is the key's digest); only
      // a key never seen reaches start(), where the engine's duplicate policy settles races.
      const existing = idempotent && (await runWithInput(invoiceId));
      if (existing && existing.bodySha256 !== idempotent?.bodySha256) return conflict();
      if (!existing) {
        // Under a key the PDF's blob is named by its hash, so a racing other body never
        // overwrites the PDF a run reads.
        const pdfKey = idempotent
          ? blobKeys.sourcePdfOf(invoiceId, idempotent.bodySha256)
          : blobKeys.sourcePdf(invoiceId);
        await blobs.put(pdfKey, bytes, 'application/pdf');
        // Engines that re-create a *finished* instance under its id (Dapr, Durable Functions; see
        // their SPECs) would run a repeat again if the run finished since the read above: read
        // once more right before the start, so that window is one round trip, not an upload.
        const raced = idempotent && (await orchestrator.status(invoiceId).catch(() => undefined));
        try {
          if (!raced) {
            await orchestrator.start({
              invoiceId,
              pdfKey,
              acceptedAt,
              deadlineMs,
              approvalTimeoutMs,
              ...idempotent,
            });
          }
        } catch (error) {
          // A concurrent duplicate may have won the start with an error of the engine's own
          // for ours: a run under the key is then the run (its body is compared below).
          const winner = idempotent && (await runWithInput(invoiceId).catch(() => undefined));
          if (!winner) {
            // Nothing is left behind when the engine refuses the run.
            await blobs.deletePrefix(idempotent ? pdfKey : blobKeys.invoicePrefix(invoiceId)).catch(() => {});
            return errorResponse(
              c,
              503,
              'engine_unavailable',
              `${orchestrator.name} did not start the run: ${(error as Error).message}`,
            );
          }
        }
        if (idempotent) {
          const started = await runWithInput(invoiceId);
          if (started?.bodySha256 !== undefined && started.bodySha256 !== idempotent.bodySha256) {
            await blobs.deletePrefix(pdfKey).catch(() => {});
            return conflict();
          }
        }
      } else if (c.req.query('wait') !== 'true' && isFinal(existing.status)) {
        return c.json(await describe(invoiceId, existing), 200);
      }
      if (c.req.query('wait') !== 'true') {
        c.header('Location', statusUrl);
        return c.json({ id: invoiceId, statusUrl } satisfies AcceptedBody, 202);
      }
      const requested = Number(c.req.query('timeoutMs') ?? waitCap);
      const timeoutMs = Number.isFinite(requested) && requested > 0 ? Math.min(requested, waitCap) : waitCap;
      const state = await orchestrator.wait(invoiceId, timeoutMs);
      // A refusal is a business outcome, not a failure: the invoice with its decision, as a 200.
      if (state.status === 'completed' || state.status === 'rejected') {
        return c.json(await describe(invoiceId, state), 200);
      }
      if (state.status === 'awaiting_approval') {
        // Not done, and it will not be until someone decides: say so at once rather than at the timeout.
        c.header('Location', statusUrl);
        return c.json(await describe(invoiceId, state), 202);
      }
      if (state.status === 'failed') {
        return errorResponse(c, 502, 'workflow_failed', state.error ?? 'the workflow failed', {
          id: invoiceId,
          statusUrl,
        });
      }
      if (state.status === 'cancelled') {
        return errorResponse(c, 409, 'cancelled', 'the run was cancelled', { id: invoiceId, statusUrl });
      }
      return errorResponse(c, 504, 'wait_timeout', `not done after ${timeoutMs} ms; poll statusUrl`, {
        id: invoiceId,
        statusUrl,
      });
    },
  );

  app.get('/api/invoices/:id', async (c) => {
    const id = c.req.param('id');
    const state = ID.test(id) ? await orchestrator.status(id) : undefined;
    if (!state) return errorResponse(c, 404, 'not_found', `no invoice with id "${id}"`);
    return c.json(await describe(id, state));
  });

  app.post('/api/invoices/:id/cancel', async (c) => {
    const id = c.req.param('id');
    if (!orchestrator.cancel) {
      return errorResponse(c, 501, 'not_supported', `${orchestrator.name} has no cancellation`);
    }
    const state = ID.test(id) ? await orchestrator.status(id) : undefined;
    if (!state) return errorResponse(c, 404, 'not_found', `no invoice with id "${id}"`);
    if (isFinal(state.status)) {
      return errorResponse(c, 409, 'not_cancellable', `the run is already ${state.status}`);
    }
    try {
      await orchestrator.cancel(id);
    } catch (error) {
      // The run may have finished between the read and the cancel: then the engine refuses.
      const now = await orchestrator.status(id);
      if (now && isFinal(now.status)) {
        return errorResponse(c, 409, 'not_cancellable', `the run is already ${now.status}`);
      }
      throw error;
    }
    const statusUrl = `/api/invoices/${id}`;
    c.header('Location', statusUrl);
    return c.json({ id, statusUrl } satisfies AcceptedBody, 202);
  });

  app.post('/api/invoices/:id/approval', async (c) => {
    const id = c.req.param('id');
    if (!orchestrator.approve) {
      return errorResponse(c, 501, 'not_supported', `${orchestrator.name} has no approval step`);
    }
    const parsed = ApprovalBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      return errorResponse(
        c,
        400,
        'invalid_approval',
        'send {"approved": true|false, "note"?: string of at most 1000 characters} as JSON',
      );
    }
    const state = ID.test(id) ? await orchestrator.status(id) : undefined;
    if (!state) return errorResponse(c, 404, 'not_found', `no invoice with id "${id}"`);
    if (state.status !== 'awaiting_approval') {
      return errorResponse(
        c,
        409,
        'not_awaiting_approval',
        `the run is ${state.status}, not awaiting_approval`,
      );
    }
    try {
      await orchestrator.approve(id, { approved: parsed.data.approved, note: parsed.data.note ?? null });
    } catch (error) {
      // The wait may have ended between the read and the decision (its timer fired): then the
      // engine refuses the event, and the answer is the same as for any run not waiting.
      const now = await orchestrator.status(id);
      if (now && now.status !== 'awaiting_approval') {
        return errorResponse(
          c,
          409,
          'not_awaiting_approval',
          `the run is ${now.status}, not awaiting_approval`,
        );
      }
      throw error;
    }
    const statusUrl = `/api/invoices/${id}`;
    c.header('Location', statusUrl);
    return c.json({ id, statusUrl } satisfies AcceptedBody, 202);
  });

  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    console.error(`[${orchestrator.name}] ${c.req.method} ${c.req.path} failed:`, error);
    return errorResponse(c, 500, 'internal_error', error.message);
  });
  return app;
}
