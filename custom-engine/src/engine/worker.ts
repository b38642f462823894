import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { builtinHandlers } from './builtins';
import { type Clock, systemClock } from './clock';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay, type WorkflowDefinition } from './definition';
import { evaluate } from './expression';
import {
  type ClaimedStep,
  type OutboxMessage,
  type StepOutcome,
  StepResult,
  type Store,
  Suspension,
} from './types';

/** Worker deaths (expired leases) any step survives, whatever its retry policy. */
export const CRASH_ATTEMPTS = 3;

export type StepContext = {
  executionId: string;
  workflowId: string;
  workflowVersion: number;
  stepId: string;
  stepKey: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Same for every attempt of this step (and map item) of this execution: dedupe side effects on it. */
  idempotencyKey: string;
  /** The execution input plus every finished step's output under its step id. */
  context: Record<string, unknown>;
  /** The execution input alone. */
  input: Record<string, unknown>;
  /** Every finished step's output by step id. */
  results: Record<string, unknown>;
  /** This step's dependencies (ids), as in the definition. */
  dependencies: string[];
  params: Record<string, unknown>;
  /** map items: the element and its index. Compensations: `item` is the undone step's output. */
  item?: unknown;
  index?: number;
  /** `event` steps after their wait: what the store put on the row (the event, or the timer's due time). */
  wake?: unknown;
  /** Aborted on timeout, on a lost lease and on cancel; long handlers should pass it on. */
  signal: AbortSignal;
};
export type StepHandler = (ctx: StepContext) => unknown | Promise<unknown>;

export type WorkerOptions = {
  store: Store;
  handlers?: Record<string, StepHandler>;
  clock?: Clock;
  /** Jitter source; tests pin it. */
  random?: () => number;
  workerId?: string;
  /** Step attempts run at once by this worker (handlers are I/O bound). */
  concurrency?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  /** Fallback poll for work made ready by other processes that cannot notify us (SQLite). */
  pollMs?: number;
  dispatchOutbox?: boolean;
  /** Webhook redelivery: retried with this policy until delivered or attempts run out. */
  outboxRetry?: RetryPolicy;
  fetch?: typeof fetch;
  log?: (event: string, detail: Record<string, unknown>) => void;
};

export class StepTimeoutError extends Error {}

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Claims due step attempts, runs their handlers and records each outcome in one transaction.
 * The loop is woken directly by the store when a transition makes work ready (and over
 * LISTEN/NOTIFY on PostgreSQL), so consecutive steps do not wait for a poll.
 */
export class Worker {
  readonly id: string;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly handlers: Record<string, StepHandler>;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly outboxRetry: RetryPolicy;
  private readonly fetch: typeof fetch;
  private readonly log: NonNullable<WorkerOptions['log']>;
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly inflight = new Map<string, { abort: AbortController }>();
  private stopped = true;
  private keepAlive?: NodeJS.Timeout;
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => void)[] = [];
  private wakeStep = new Waker();
  private wakeOutbox = new Waker();

  constructor(private readonly options: WorkerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.handlers = { ...builtinHandlers, ...options.handlers };
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.pollMs = options.pollMs ?? 500;
    this.outboxRetry = options.outboxRetry ?? {
      maxAttempts: 20,
      initialDelay: 500,
      backoffMultiplier: 2,
      maxDelay: 60_000,
      jitter: 0.2,
    };
    this.fetch = options.fetch ?? fetch;
    this.log = options.log ?? (() => {});
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    // Engine timers are unref'd; a started worker, like a listening server, keeps its process up.
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.unsubscribe.push(this.store.onWork(() => this.wakeStep.wake()));
    // A cancelled (or otherwise finished) execution aborts its attempts here at once where the
    // store can tell this process (same process, NOTIFY on PostgreSQL); otherwise at the next
    // lease heartbeat, which finds the step no longer running. Their late results are fenced.
    this.unsubscribe.push(
      this.store.onExecutionFinished((id) => {
        for (const [key, { abort }] of this.inflight)
          if (key.startsWith(`${id}/`)) abort.abort(new Error('execution finished'));
      }),
    );
    this.loops.push(this.stepLoop());
    if (this.options.dispatchOutbox !== false) {
      this.unsubscribe.push(this.store.onOutbox(() => this.wakeOutbox.wake()));
      this.loops.push(this.outboxLoop());
    }
    return this;
  }

  /** Stops claiming, lets running attempts finish and record their outcome; aborts them after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.keepAlive);
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.wakeStep.wake();
    this.wakeOutbox.wake();
    await Promise.all(this.loops);
    this.loops = [];
    const deadline = Date.now() + graceMs;
    while (this.inflight.size > 0) {
      if (Date.now() > deadline)
        for (const { abort } of this.inflight.values()) abort.abort(new Error('worker stopping'));
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  get busy() {
    return this.inflight.size;
  }

  private async stepLoop() {
    while (!this.stopped) {
      this.wakeStep.reset();
      const free = this.concurrency - this.inflight.size;
      let wait = this.pollMs;
      try {
        if (free > 0) {
          const claimed = await this.store.claimSteps(this.id, free, this.clock.now(), this.leaseMs);
          for (const c of claimed) this.launch(c);
          if (claimed.length === free) continue;
          if (this.wakeStep.pending) continue;
          const due = await this.store.nextDueAt();
          if (due !== undefined) wait = Math.min(wait, due - this.clock.now());
        }
      } catch (error) {
        this.log('claim-error', { error: errorMessage(error) });
      }
      if (this.stopped || this.wakeStep.pending) continue;
      // Due now but nothing claimed: rows locked by another worker's claim. Yield briefly.
      if (wait <= 0) await new Promise((r) => setTimeout(r, 1));
      else await this.wakeStep.sleep(this.clock, wait);
    }
  }

  private launch(claim: ClaimedStep) {
    const key = `${claim.executionId}/${claim.stepKey}`;
    const abort = new AbortController();
    this.inflight.set(key, { abort });
    this.run(claim, abort)
      .catch((error) => this.log('finish-error', { step: key, error: errorMessage(error) }))
      .finally(() => {
        this.inflight.delete(key);
        this.wakeStep.wake();
      });
  }

  private async definition(claim: ClaimedStep) {
    const key = `${claim.workflowId}@${claim.workflowVersion}`;
    let def = this.definitions.get(key);
    if (!def) {
      def = (await this.store.getWorkflow(claim.workflowId, claim.workflowVersion))?.definition;
      if (!def) throw new Error(`workflow ${key} not found`);
      this.definitions.set(key, def);
    }
    return def;
  }

  private async run(claim: ClaimedStep, abort: AbortController) {
    const lease = {
      executionId: claim.executionId,
      stepKey: claim.stepKey,
      owner: claim.owner,
      attempt: claim.attempt,
    };
    const outcome = await this.attempt(claim, abort).catch(
      (error): StepOutcome => ({ kind: 'failed', error: `engine: ${errorMessage(error)}` }),
    );
    const recorded = await this.store.finishStep(lease, outcome, this.clock.now());
    this.log(recorded ? `step-${outcome.kind}` : 'step-stale', {
      executionId: claim.executionId,
      step: claim.stepKey,
      attempt: claim.attempt,
      ...(outcome.kind === 'failed' || outcome.kind === 'retry' ? { error: outcome.error } : {}),
    });
  }

  private async attempt(claim: ClaimedStep, abort: AbortController): Promise<StepOutcome> {
    // The deadline row is a timer, not a step: claimed when due, it fails the execution.
    if (claim.kind === 'deadline') return { kind: 'failed', error: deadlineError(claim.item) };
    const def = await this.definition(claim);
    const step = def.steps.find((s) => s.id === claim.stepId);
    if (!step)
      return {
        kind: 'failed',
        error: `step '${claim.stepId}' is not in ${def.id} v${claim.workflowVersion}`,
      };
    const { input, results } = await this.store.loadState(claim.executionId);
    const context = { ...input, ...results };

    if (claim.kind === 'task' || claim.kind === 'map') {
      if (step.when !== undefined && !(await evaluate(step.when, context))) return { kind: 'skipped' };
      if (claim.kind === 'map') {
        const items = await evaluate(step.items as string, context);
        // JSONata unwraps one-element arrays; a map over "one page" must still be a list.
        return { kind: 'expanded', items: items === undefined ? [] : Array.isArray(items) ? items : [items] };
      }
    }

    const action = claim.kind === 'compensation' ? (step.compensate as string) : step.action;
    const handler = this.handlers[action];
    const policy = step.retryPolicy ?? DEFAULT_RETRY_POLICY;
    if (!handler) return { kind: 'failed', error: `no handler registered for action '${action}'` };
    // Attempts past the policy (and past CRASH_ATTEMPTS, so that even a step without retries
    // survives a worker crash or two) come only from expired leases, since a failed attempt is
    // retried only while attempts remain: the step's workers died every time, the mark of a
    // poison pill. Fail it instead of running it again, so it never crash-loops.
    const allowed = Math.max(policy.maxAttempts, CRASH_ATTEMPTS);
    if (claim.attempt > allowed) {
      return {
        kind: 'failed',
        error: `worker_lost: ${action} lost its worker (lease expired) on each of its ${allowed} attempts`,
      };
    }

    const ctx: StepContext = {
      executionId: claim.executionId,
      workflowId: claim.workflowId,
      workflowVersion: claim.workflowVersion,
      stepId: claim.stepId,
      stepKey: claim.stepKey,
      attempt: claim.attempt,
      idempotencyKey: `${claim.executionId}:${claim.stepKey}`,
      context,
      input,
      results,
      dependencies: step.dependencies,
      params: step.params,
      item: claim.kind === 'item' || claim.kind === 'compensation' ? claim.item : undefined,
      index: claim.kind === 'item' ? claim.itemIndex : undefined,
      wake: claim.kind === 'task' ? claim.item : undefined,
      signal: abort.signal,
    };

    const timers: unknown[] = [];
    // Fixed-rate heartbeats: the next beat is scheduled before this one's write, so a slow
    // store cannot stretch the interval past the lease.
    let beat: unknown;
    const heartbeat = () => {
      beat = this.clock.setTimeout(() => {
        if (abort.signal.aborted) return;
        heartbeat();
        this.store.heartbeat(claim, this.clock.now(), this.leaseMs).then(
          (held) => held || abort.abort(new Error('lease lost')),
          () => {}, // a failed write is retried on the next beat
        );
      }, this.heartbeatMs);
    };
    heartbeat();
    try {
      const running = Promise.resolve().then(() => handler(ctx));
      const guards: Promise<never>[] = [
        new Promise((_, reject) =>
          abort.signal.addEventListener('abort', () => reject(abort.signal.reason ?? new Error('aborted')), {
            once: true,
          }),
        ),
      ];
      if (step.timeout !== undefined) {
        const ms = step.timeout;
        guards.push(
          new Promise((_, reject) =>
            timers.push(
              this.clock.setTimeout(() => {
                const error = new StepTimeoutError(`attempt timed out after ${ms} ms`);
                reject(error);
                abort.abort(error);
              }, ms),
            ),
          ),
        );
      }
      const output = await Promise.race([running, ...guards]);
      if (output instanceof Suspension) {
        const until =
          output.timeoutMs === undefined ? Number.MAX_SAFE_INTEGER : this.clock.now() + output.timeoutMs;
        return { kind: 'suspended', event: output.event, until };
      }
      if (output instanceof StepResult)
        return { kind: 'success', output: output.result ?? null, meta: output.meta };
      return { kind: 'success', output: output ?? null };
    } catch (error) {
      const e = error as { retryable?: boolean; retryAfterMs?: number };
      const message = errorMessage(error);
      if (e?.retryable === false || claim.attempt >= policy.maxAttempts)
        return { kind: 'failed', error: message };
      // A server's Retry-After (e.g. a 429) is a floor under our own backoff.
      const delay = Math.max(
        retryDelay(policy, claim.attempt, this.random),
        Number(e?.retryAfterMs ?? 0) || 0,
      );
      return { kind: 'retry', error: message, retryAt: this.clock.now() + delay };
    } finally {
      this.clock.clearTimeout(beat);
      for (const t of timers) this.clock.clearTimeout(t);
      timers.length = 0;
      // Stop the heartbeat chain even if a tick is in flight.
      if (!abort.signal.aborted) abort.abort(new Error('attempt finished'));
    }
  }

  // ---------------------------------------------------------------- outbox dispatcher

  private async outboxLoop() {
    while (!this.stopped) {
      this.wakeOutbox.reset();
      let wait = this.pollMs;
      try {
        const messages = await this.store.claimOutbox(this.id, 16, this.clock.now(), 30_000);
        if (messages.length > 0) {
          await Promise.all(messages.map((m) => this.deliver(m)));
          continue;
        }
        const due = await this.store.nextOutboxDueAt();
        if (due !== undefined) wait = Math.min(wait, due - this.clock.now());
      } catch (error) {
        this.log('outbox-error', { error: errorMessage(error) });
      }
      if (this.stopped || this.wakeOutbox.pending) continue;
      if (wait <= 0) await new Promise((r) => setTimeout(r, 1));
      else await this.wakeOutbox.sleep(this.clock, wait);
    }
  }

  /** At least once: a message is marked delivered only after a 2xx; receivers dedupe on its id. */
  private async deliver(m: OutboxMessage) {
    try {
      const res = await this.fetch(m.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `outbox-${m.id}` },
        body: JSON.stringify(m.payload),
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel().catch(() => {});
      if (!res.ok) throw new Error(`answered ${res.status}`);
      await this.store.outboxDelivered(m.id, this.id, this.clock.now());
      this.log('webhook-delivered', { id: m.id, event: m.event, attempts: m.attempts });
    } catch (error) {
      const retryAt =
        m.attempts >= this.outboxRetry.maxAttempts
          ? undefined
          : this.clock.now() + retryDelay(this.outboxRetry, m.attempts, this.random);
      await this.store.outboxFailed(m.id, this.id, errorMessage(error), retryAt);
      this.log('webhook-failed', {
        id: m.id,
        event: m.event,
        attempts: m.attempts,
        error: errorMessage(error),
      });
    }
  }
}

export const DEADLINE_EXCEEDED = 'deadline_exceeded';

function deadlineError(item: unknown) {
  const { after } = (item ?? {}) as { after?: number };
  return `${DEADLINE_EXCEEDED}: the execution was not done within ${after} ms of its start`;
}

/** A resettable wake-up flag with a sleep that ends early when woken. */
class Waker {
  pending = false;
  private resolve?: () => void;
  reset() {
    this.pending = false;
  }
  wake() {
    this.pending = true;
    this.resolve?.();
  }
  sleep(clock: Clock, ms: number): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => done(), ms);
      const done = () => {
        clock.clearTimeout(timer);
        this.resolve = undefined;
        resolve();
      };
      this.resolve = done;
    });
  }
}
