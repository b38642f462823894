import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from './clock';
import { BUILTIN_ACTIONS, validateDefinition } from './definition';
import type { ExecutionRecord, ExecutionStatus, Store } from './types';

export const TERMINAL = new Set(['completed', 'failed', 'compensated', 'cancelled']);

/**
 * The client side of the engine: register definitions, start, inspect, wait for and cancel
 * executions. Workers (worker.ts) do the running; both only meet in the store.
 */
export class EngineClient {
  readonly clock: Clock;
  constructor(
    readonly store: Store,
    /** Handler names that workers register; definitions may only use these and the built-ins. */
    readonly actions: Iterable<string> = [],
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  knownActions(): string[] {
    return [...new Set([...BUILTIN_ACTIONS, ...this.actions])];
  }

  /** Validates and stores a definition; a changed definition gets the next version. */
  async register(raw: unknown) {
    const def = validateDefinition(raw, this.actions);
    return this.store.saveWorkflow(def, this.clock.now());
  }

  async start(p: {
    workflowId: string;
    version?: number;
    input?: Record<string, unknown>;
    executionId?: string;
  }) {
    return this.store.startExecution({
      executionId: p.executionId ?? `exec-${randomUUID()}`,
      workflowId: p.workflowId,
      version: p.version,
      input: p.input ?? {},
      now: this.clock.now(),
    });
  }

  cancel(executionId: string) {
    return this.store.cancelExecution(executionId, this.clock.now());
  }

  /** Delivers an event to the execution's `event` step waiting for `name` (stored on its row). */
  sendEvent(executionId: string, name: string, payload: unknown) {
    return this.store.deliverEvent(executionId, name, payload, this.clock.now());
  }

  /**
   * Resolves with the execution once it is terminal (or in one of `also`, e.g. `suspended`), or
   * as it is at the timeout. Woken by the store's finish events (same process, or NOTIFY on
   * PostgreSQL) and polling as a fallback for SQLite files written by another process.
   */
  async wait(
    executionId: string,
    timeoutMs: number,
    pollMs = 25,
    also: readonly ExecutionStatus[] = [],
  ): Promise<ExecutionRecord | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    const off = this.store.onExecutionFinished((id) => {
      if (id === executionId) wake?.();
    });
    try {
      for (;;) {
        const exec = await this.store.getExecutionRecord(executionId);
        if (!exec || TERMINAL.has(exec.status) || also.includes(exec.status)) return exec;
        const left = deadline - Date.now();
        if (left <= 0) return exec;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(pollMs, left));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      off();
    }
  }
}
