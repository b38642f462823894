import { setTimeout as sleep } from 'node:timers/promises';

/** The parts of a Prefect 3 flow run (schemas.core.FlowRun) this stack reads. */
export type FlowRun = {
  id: string;
  name: string;
  run_count: number;
  infrastructure_pid?: string | null;
  parameters?: Record<string, unknown>;
  tags?: string[];
  state?: { type: StateType; name: string; message?: string | null; timestamp?: string } | null;
};
/** What POST /flow_runs/{id}/set_state answers (schemas.responses.OrchestrationResult). */
export type SetStateResult = {
  status: 'ACCEPT' | 'REJECT' | 'ABORT' | 'WAIT';
  state?: FlowRun['state'];
  details?: { reason?: string | null };
};
export type StateType =
  | 'SCHEDULED'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'CANCELLING'
  | 'CRASHED'
  | 'PAUSED';

/** Attempts of one REST call while the server answers 503 or is unreachable (a restart). */
const ATTEMPTS = Number(process.env.PREFECT_REST_ATTEMPTS ?? 12);
/** 0.25 s doubling to 8 s, ±20 % so that concurrent callers do not retry in lockstep: ~56 s in all, about the budget of Prefect's own client. */
const backoffMs = (attempt: number) =>
  Math.min(8_000, 250 * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random());

export class PrefectHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A minimal client of the Prefect server's REST API (PREFECT_API_URL, e.g. http://127.0.0.1:4200/api).
 * On SQLite the server answers 503 when its database is locked under concurrent writes. Prefect's
 * own Python client retries 408/429/502/503 and connection errors after a first connect
 * (prefect/client/base.py, PrefectHttpxAsyncClient.send: 2^n s, jittered, Retry-After honoured,
 * 5 retries); this one retries 429/502/503 and connection errors the same way on a shorter
 * schedule, so bursts of concurrent writes and a restarting server are ridden out.
 */
export function prefectRest(apiUrl: string) {
  async function call<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    let lastError: Error = new Error('no attempt');
    let retryAfterMs = 0;
    const started = Date.now();
    // Said once a call needed retries: how long the server stayed locked (SQLite) or away (a restart).
    const retried = (attempts: number, outcome: string) =>
      attempts > 1 &&
      console.error(
        `[prefect-rest] ${method} ${path}: ${attempts} attempts over ${Date.now() - started} ms, ${outcome} (${lastError.message.slice(0, 80)})`,
      );
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const response = await fetch(`${apiUrl}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        if (response.status === 204 || response.ok) retried(attempt, 'then answered');
        if (response.status === 204) return undefined as T;
        if (response.ok) return (await response.json()) as T;
        retryAfterMs = Number(response.headers.get('retry-after') ?? 0) * 1_000 || 0;
        const text = await response.text();
        lastError = new PrefectHttpError(
          response.status,
          `${method} ${path}: ${response.status} ${text.slice(0, 300)}`,
        );
        if (response.status !== 503 && response.status !== 429 && response.status !== 502) throw lastError;
      } catch (error) {
        if (error instanceof PrefectHttpError && ![429, 502, 503].includes(error.status)) throw error;
        lastError = error as Error;
      }
      if (attempt < ATTEMPTS) await sleep(Math.max(backoffMs(attempt), retryAfterMs));
      retryAfterMs = 0;
    }
    retried(ATTEMPTS, 'gave up');
    throw lastError;
  }
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    patch: (path: string, body: unknown) => call<void>('PATCH', path, body),
  };
}

export type PrefectRest = ReturnType<typeof prefectRest>;
