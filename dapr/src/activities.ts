import type { WorkflowActivityContext } from '@dapr/dapr';
import type { ExtractInput, ExtractResult } from '@invoice/shared/flow/types';
import { type ActivityName, serviceAppIds, sidecar } from './config';
import type { Attempt } from './retry';

/** Error body of an activity service (shared/src/flow/activity-service.ts): the contract's shape plus the LLM's verdict. */
type ServiceError = {
  error?: { code: string; message: string };
  /** false: the service says another attempt would fail the same way (a work budget failure) */
  retryable?: boolean;
  llm?: { retryable: boolean; retryAfterMs?: number };
};

/** Longer than one LLM attempt (30 s) plus the resiliency policy's patience for a restarting service. */
const INVOKE_TIMEOUT_MS = Number(process.env.INVOKE_TIMEOUT_MS ?? 120_000);

/**
 * The workflow app's activities do no work themselves: each one calls its activity service
 * through Dapr service invocation (this app's sidecar -> the service's sidecar -> the service),
 * so a service can be scaled, restarted or rewritten in another language on its own.
 */
export async function invokeService<I, O>(
  name: ActivityName | 'recordDecision',
  input: I,
): Promise<Attempt<O>> {
  // recordDecision is served by the aggregate service (SERVICE_ACTIVITIES).
  const service: ActivityName = name === 'recordDecision' ? 'aggregate' : name;
  const url = `${sidecar().httpUrl}/v1.0/invoke/${serviceAppIds()[service]}/method/${name}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(INVOKE_TIMEOUT_MS),
    });
  } catch (error) {
    return {
      ok: false,
      retryable: true,
      error: `sidecar unreachable for ${name}: ${(error as Error).message}`,
    };
  }
  if (response.ok) return { ok: true, value: (await response.json()) as O };
  const text = await response.text();
  let body: ServiceError = {};
  try {
    body = JSON.parse(text) as ServiceError;
  } catch {}
  // daprd's own error, not the service's: the service could not be reached, or died mid-call
  // (a crash, a poison pill). Said with a code so a run that ends on it says why.
  const lost = /ERR_DIRECT_INVOKE/.test(text) ? 'worker_lost: ' : '';
  const error = `${lost}${name} answered ${response.status}: ${body.error?.message ?? text.slice(0, 300)}`;
  // The LLM's own verdict when there is one (a 400 is not worth retrying); otherwise the
  // failure is the service's or the transport's, which the policy retries up to its limit.
  if (body.retryable === false) return { ok: false, retryable: false, error };
  if (body.llm)
    return { ok: false, retryable: body.llm.retryable, retryAfterMs: body.llm.retryAfterMs, error };
  return { ok: false, retryable: true, error };
}

export const activities = {
  split: (_: WorkflowActivityContext, input: unknown) => invokeService('split', input),
  /** `attempt` comes from the workflow's retry loop, the only place that knows it. */
  extract: async (_: WorkflowActivityContext, { attempt, ...input }: ExtractInput & { attempt: number }) => {
    const outcome = await invokeService<ExtractInput, ExtractResult>('extract', input);
    return outcome.ok ? { ok: true, value: { ...outcome.value, attempts: attempt } } : outcome;
  },
  aggregate: (_: WorkflowActivityContext, input: unknown) => invokeService('aggregate', input),
  recordDecision: (_: WorkflowActivityContext, input: unknown) => invokeService('recordDecision', input),
} satisfies Record<ActivityName | 'recordDecision', unknown>;
