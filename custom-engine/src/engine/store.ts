import { EventEmitter } from 'node:events';
import { type Db, PostgresDb, type SqlExec, SqliteDb, type Tx } from './db';
import type { WorkflowDefinition } from './definition';
import { evaluate } from './expression';
import { resolveMs } from './placeholders';
import {
  ACTIVE_EXECUTION,
  type AttemptRecord,
  type ClaimedStep,
  type ExecutionRecord,
  type ExecutionStatus,
  type Lease,
  type OutboxMessage,
  type StepKind,
  type StepOutcome,
  type StepRecord,
  type StepStatus,
  type Store,
  type StoredWorkflow,
} from './types';

/**
 * The engine's state machine over SQL. Every state change is one transaction: the step's own
 * row, the rows it unblocks, the execution row and the outbox rows commit together or not at
 * all. Transitions that read several rows of one execution (fan-in, failure, cancel) first lock
 * the execution row, so concurrent workers never both miss the last item of a map.
 */

const WORK = 'ce_work';
const DONE = 'ce_done';

function ddl(dialect: Db['dialect']) {
  const serial = dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  return `
CREATE TABLE IF NOT EXISTS ce_workflows (
  id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, created_at BIGINT NOT NULL,
  PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS ce_executions (
  id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, workflow_version INTEGER NOT NULL, status TEXT NOT NULL,
  input TEXT NOT NULL, output TEXT, error TEXT, seq INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, finished_at BIGINT);
CREATE INDEX IF NOT EXISTS ce_executions_workflow ON ce_executions (workflow_id, created_at);
CREATE TABLE IF NOT EXISTS ce_steps (
  execution_id TEXT NOT NULL, step_key TEXT NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL,
  item_index INTEGER NOT NULL DEFAULT -1, item TEXT, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  -- ready: runnable from due_at, running: the lease expires at due_at (one column, one index)
  due_at BIGINT NOT NULL DEFAULT 0, lease_owner TEXT, remaining INTEGER,
  output TEXT, meta TEXT, error TEXT, started_at BIGINT, finished_at BIGINT, done_seq INTEGER,
  PRIMARY KEY (execution_id, step_key));
CREATE INDEX IF NOT EXISTS ce_steps_due ON ce_steps (status, due_at);
CREATE TABLE IF NOT EXISTS ce_attempts (
  id ${serial}, execution_id TEXT NOT NULL, step_key TEXT NOT NULL, attempt INTEGER NOT NULL,
  worker_id TEXT NOT NULL, claimed_at BIGINT NOT NULL, finished_at BIGINT, outcome TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS ce_attempts_step ON ce_attempts (execution_id, step_key, attempt);
CREATE TABLE IF NOT EXISTS ce_outbox (
  id ${serial}, execution_id TEXT NOT NULL, event TEXT NOT NULL, url TEXT NOT NULL, payload TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, due_at BIGINT NOT NULL, lease_owner TEXT,
  last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT);
CREATE INDEX IF NOT EXISTS ce_outbox_due ON ce_outbox (status, due_at);
`;
}

type ExecRow = {
  id: string;
  workflow_id: string;
  workflow_version: number;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  seq: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
};
type StepRow = {
  execution_id: string;
  step_key: string;
  step_id: string;
  kind: StepKind;
  item_index: number;
  item: string | null;
  status: StepStatus;
  attempts: number;
  due_at: number;
  lease_owner: string | null;
  remaining: number | null;
  output: string | null;
  meta: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
};

const parse = (s: string | null | undefined): unknown => (s == null ? undefined : JSON.parse(s));
const json = (v: unknown) => JSON.stringify(v ?? null);
const orUndef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

const toExecution = (r: ExecRow): ExecutionRecord => ({
  id: r.id,
  workflowId: r.workflow_id,
  workflowVersion: r.workflow_version,
  status: r.status,
  input: parse(r.input) as Record<string, unknown>,
  output: parse(r.output),
  error: orUndef(r.error),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: orUndef(r.finished_at),
});
const toStep = (r: StepRow): StepRecord => ({
  executionId: r.execution_id,
  stepKey: r.step_key,
  stepId: r.step_id,
  kind: r.kind,
  itemIndex: r.item_index,
  status: r.status,
  attempts: r.attempts,
  output: parse(r.output),
  meta: parse(r.meta) as Record<string, unknown> | undefined,
  error: orUndef(r.error),
  startedAt: orUndef(r.started_at),
  finishedAt: orUndef(r.finished_at),
  leaseOwner: orUndef(r.lease_owner),
  dueAt: r.due_at,
});

/** The step key of an execution's deadline row (not a valid step id, so never a step's key). */
export const DEADLINE_KEY = '@deadline';
export const itemKey = (stepId: string, index: number) => `${stepId}[${index}]`;
export const compensationKey = (stepId: string) => `compensate:${stepId}`;

/** What a transaction did that listeners should hear about after it commits. */
type Effects = { work?: boolean; done?: string; outbox?: boolean };

export class SqlStore implements Store {
  private readonly events = new EventEmitter();
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private unlisten: (() => Promise<void>)[] = [];
  private readonly lock: string;
  private readonly skipLocked: string;

  constructor(readonly db: Db) {
    this.events.setMaxListeners(0);
    this.lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    this.skipLocked = db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  }

  get dialect() {
    return this.db.dialect;
  }

  async init() {
    if (this.db.dialect === 'postgres') {
      // Two processes creating the schema at once would race on CREATE IF NOT EXISTS.
      await this.db.transaction(async (tx) => {
        await tx.get('SELECT pg_advisory_xact_lock(4242)');
        for (const stmt of ddl('postgres')
          .split(';')
          .filter((s) => s.trim()))
          await tx.run(stmt);
      });
      await this.db.run('ALTER TABLE ce_steps ADD COLUMN IF NOT EXISTS meta TEXT');
      this.unlisten.push(await this.db.listen(WORK, () => this.events.emit('work')));
      this.unlisten.push(await this.db.listen(DONE, (id) => this.events.emit('done', id)));
    } else {
      await this.db.exec(ddl('sqlite'));
      // Files made before step records had a meta column get it added.
      const columns = await this.db.all<{ name: string }>('PRAGMA table_info(ce_steps)');
      if (!columns.some((c) => c.name === 'meta'))
        await this.db.run('ALTER TABLE ce_steps ADD COLUMN meta TEXT');
    }
  }

  async close() {
    for (const u of this.unlisten) await u();
    this.unlisten = [];
    await this.db.close();
  }

  onWork(listener: () => void) {
    this.events.on('work', listener);
    return () => void this.events.off('work', listener);
  }
  onExecutionFinished(listener: (id: string) => void) {
    this.events.on('done', listener);
    return () => void this.events.off('done', listener);
  }

  /** Runs a transition and, after commit, wakes local listeners (remote ones hear NOTIFY). */
  private async transition<T>(fn: (tx: Tx, fx: Effects) => Promise<T>): Promise<T> {
    const fx: Effects = {};
    const result = await this.db.transaction(async (tx) => {
      const r = await fn(tx, fx);
      if (fx.work || fx.outbox) await tx.notify(WORK, '');
      if (fx.done) await tx.notify(DONE, fx.done);
      return r;
    });
    if (fx.work) this.events.emit('work');
    if (fx.outbox) this.events.emit('outbox');
    if (fx.done) this.events.emit('done', fx.done);
    return result;
  }

  // ---------------------------------------------------------------- workflows

  async saveWorkflow(def: WorkflowDefinition, now: number) {
    return this.transition(async (tx) => {
      // Processes registering the same workflow at start-up would race for version 1; on
      // PostgreSQL a per-id advisory lock orders them (SQLite's BEGIN IMMEDIATE already does).
      if (this.db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [def.id]);
      const latest = await tx.get<{ version: number; definition: string; created_at: number }>(
        `SELECT version, definition, created_at FROM ce_workflows WHERE id = ? ORDER BY version DESC LIMIT 1${this.lock}`,
        [def.id],
      );
      // Re-registering an identical definition keeps its version, so restarts do not bump it.
      if (latest && latest.definition === JSON.stringify(def))
        return {
          workflow: { id: def.id, version: latest.version, definition: def, createdAt: latest.created_at },
          created: false,
        };
      const version = (latest?.version ?? 0) + 1;
      await tx.run('INSERT INTO ce_workflows (id, version, definition, created_at) VALUES (?, ?, ?, ?)', [
        def.id,
        version,
        JSON.stringify(def),
        now,
      ]);
      return { workflow: { id: def.id, version, definition: def, createdAt: now }, created: true };
    });
  }

  async getWorkflow(id: string, version?: number): Promise<StoredWorkflow | undefined> {
    const row =
      version === undefined
        ? await this.db.get<{ id: string; version: number; definition: string; created_at: number }>(
            'SELECT * FROM ce_workflows WHERE id = ? ORDER BY version DESC LIMIT 1',
            [id],
          )
        : await this.db.get<{ id: string; version: number; definition: string; created_at: number }>(
            'SELECT * FROM ce_workflows WHERE id = ? AND version = ?',
            [id, version],
          );
    return (
      row && {
        id: row.id,
        version: row.version,
        definition: JSON.parse(row.definition),
        createdAt: row.created_at,
      }
    );
  }

  async listWorkflows(): Promise<StoredWorkflow[]> {
    const rows = await this.db.all<{ id: string; version: number; definition: string; created_at: number }>(
      `SELECT w.* FROM ce_workflows w
       JOIN (SELECT id, MAX(version) AS v FROM ce_workflows GROUP BY id) m ON w.id = m.id AND w.version = m.v
       ORDER BY w.id`,
    );
    return rows.map((r) => ({
      id: r.id,
      version: r.version,
      definition: JSON.parse(r.definition),
      createdAt: r.created_at,
    }));
  }

  /** Definitions are immutable once stored, so each (id, version) is read once per process. */
  private async definition(q: SqlExec, id: string, version: number): Promise<WorkflowDefinition> {
    const key = `${id}@${version}`;
    let def = this.definitions.get(key);
    if (!def) {
      const row = await q.get<{ definition: string }>(
        'SELECT definition FROM ce_workflows WHERE id = ? AND version = ?',
        [id, version],
      );
      if (!row) throw new Error(`workflow ${key} not found`);
      def = JSON.parse(row.definition) as WorkflowDefinition;
      this.definitions.set(key, def);
    }
    return def;
  }

  // ---------------------------------------------------------------- executions

  async startExecution(p: {
    executionId: string;
    workflowId: string;
    version?: number;
    input: Record<string, unknown>;
    now: number;
  }) {
    return this.transition(async (tx, fx) => {
      // Two starts of one id race for the insert; on PostgreSQL a per-id advisory lock orders
      // them so the second sees the first (SQLite's BEGIN IMMEDIATE already does).
      if (this.db.dialect === 'postgres')
        await tx.get('SELECT pg_advisory_xact_lock(hashtext(?))', [`execution:${p.executionId}`]);
      const existing = await tx.get<ExecRow>('SELECT * FROM ce_executions WHERE id = ?', [p.executionId]);
      if (existing) return { execution: toExecution(existing), created: false };
      const wf = await tx.get<{ version: number; definition: string }>(
        p.version === undefined
          ? 'SELECT version, definition FROM ce_workflows WHERE id = ? ORDER BY version DESC LIMIT 1'
          : 'SELECT version, definition FROM ce_workflows WHERE id = ? AND version = ?',
        p.version === undefined ? [p.workflowId] : [p.workflowId, p.version],
      );
      if (!wf)
        throw new NotFoundError(
          `workflow '${p.workflowId}'${p.version ? ` version ${p.version}` : ''} not found`,
        );
      const def = JSON.parse(wf.definition) as WorkflowDefinition;
      await tx.run(
        `INSERT INTO ce_executions (id, workflow_id, workflow_version, status, input, created_at, updated_at)
         VALUES (?, ?, ?, 'running', ?, ?, ?)`,
        [p.executionId, p.workflowId, wf.version, json(p.input), p.now, p.now],
      );
      for (const step of def.steps) {
        const ready = step.dependencies.length === 0;
        await tx.run(
          `INSERT INTO ce_steps (execution_id, step_key, step_id, kind, status, due_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [
            p.executionId,
            step.id,
            step.id,
            step.type,
            ready ? 'ready' : 'pending',
            readyAt(step, p.now),
            ready ? timerStart(step, p.now) : null,
          ],
        );
      }
      // The deadline is one more row, due at the deadline: workers claim it like a delay's timer.
      const after = def.deadline && resolveMs(def.deadline.after, { context: p.input, results: {} });
      if (after !== undefined && after !== 0)
        await tx.run(
          `INSERT INTO ce_steps (execution_id, step_key, step_id, kind, item, status, due_at) VALUES (?, ?, ?, 'deadline', ?, 'ready', ?)`,
          [p.executionId, DEADLINE_KEY, DEADLINE_KEY, json({ after }), p.now + after],
        );
      fx.work = true;
      const row = await tx.get<ExecRow>('SELECT * FROM ce_executions WHERE id = ?', [p.executionId]);
      return { execution: toExecution(row as ExecRow), created: true };
    });
  }

  async getExecutionRecord(id: string) {
    const row = await this.db.get<ExecRow>('SELECT * FROM ce_executions WHERE id = ?', [id]);
    return row && toExecution(row);
  }

  async getExecution(id: string) {
    const row = await this.db.get<ExecRow>('SELECT * FROM ce_executions WHERE id = ?', [id]);
    if (!row) return undefined;
    const steps = await this.db.all<StepRow>(
      'SELECT * FROM ce_steps WHERE execution_id = ? ORDER BY kind, step_id, item_index',
      [id],
    );
    return { execution: toExecution(row), steps: steps.map(toStep) };
  }

  /** Bytes of durable state one execution holds (its rows' text and numbers) and its row count. */
  async footprint(executionId: string): Promise<{ bytes: number; rows: number }> {
    const size = (columns: string[]) => columns.map((c) => `COALESCE(LENGTH(${c}), 0)`).join(' + ');
    const tables: Array<[string, string, string[]]> = [
      ['ce_executions', 'id', ['id', 'workflow_id', 'status', 'input', 'output', 'error']],
      [
        'ce_steps',
        'execution_id',
        ['execution_id', 'step_key', 'step_id', 'kind', 'item', 'status', 'lease_owner', 'output', 'error'],
      ],
      ['ce_attempts', 'execution_id', ['execution_id', 'step_key', 'worker_id', 'outcome', 'error']],
      ['ce_outbox', 'execution_id', ['execution_id', 'event', 'url', 'payload', 'status', 'last_error']],
    ];
    let bytes = 0;
    let rows = 0;
    for (const [table, key, columns] of tables) {
      const row = await this.db.get<{ b: number | string | null; n: number | string }>(
        `SELECT SUM(${size(columns)}) AS b, COUNT(*) AS n FROM ${table} WHERE ${key} = ?`,
        [executionId],
      );
      // Numbers and timestamps: 8 bytes each, a fair floor for both stores.
      const numeric = table === 'ce_steps' ? 9 : table === 'ce_executions' ? 5 : 4;
      bytes += Number(row?.b ?? 0) + numeric * 8 * Number(row?.n ?? 0);
      rows += Number(row?.n ?? 0);
    }
    return { bytes, rows };
  }

  async listExecutions(filter: { workflowId?: string; limit?: number }) {
    const limit = filter.limit ?? 100;
    const rows = filter.workflowId
      ? await this.db.all<ExecRow>(
          'SELECT * FROM ce_executions WHERE workflow_id = ? ORDER BY created_at DESC LIMIT ?',
          [filter.workflowId, limit],
        )
      : await this.db.all<ExecRow>('SELECT * FROM ce_executions ORDER BY created_at DESC LIMIT ?', [limit]);
    return rows.map(toExecution);
  }

  async loadState(executionId: string) {
    const exec = await this.db.get<{ input: string }>('SELECT input FROM ce_executions WHERE id = ?', [
      executionId,
    ]);
    const rows = await this.db.all<{ step_id: string; output: string | null }>(
      `SELECT step_id, output FROM ce_steps WHERE execution_id = ? AND kind IN ('task', 'map') AND status = 'success'`,
      [executionId],
    );
    const results: Record<string, unknown> = {};
    for (const r of rows) results[r.step_id] = parse(r.output);
    return { input: (parse(exec?.input) as Record<string, unknown>) ?? {}, results };
  }

  async cancelExecution(id: string, now: number) {
    return this.transition(async (tx, fx) => {
      const exec = await tx.get<ExecRow>(`SELECT * FROM ce_executions WHERE id = ?${this.lock}`, [id]);
      if (!exec) return undefined;
      if (!ACTIVE_EXECUTION.includes(exec.status)) return toExecution(exec);
      await this.cancelOpenSteps(tx, id, now);
      await this.finishExecution(tx, fx, exec, 'cancelled', now, { error: 'cancelled' });
      return toExecution({
        ...exec,
        status: 'cancelled',
        error: 'cancelled',
        finished_at: now,
        updated_at: now,
      });
    });
  }

  async deliverEvent(executionId: string, name: string, payload: unknown, now: number) {
    return this.transition(async (tx, fx) => {
      const exec = await tx.get<ExecRow>(`SELECT * FROM ce_executions WHERE id = ?${this.lock}`, [
        executionId,
      ]);
      if (!exec) return { delivered: false as const, reason: 'not_found' as const };
      const def = await this.definition(tx, exec.workflow_id, exec.workflow_version);
      const listening = def.steps
        .filter((s) => s.action === 'event' && s.params.name === name)
        .map((s) => s.id);
      const waiting = await tx.all<{ step_key: string }>(
        `SELECT step_key FROM ce_steps WHERE execution_id = ? AND kind = 'task' AND status = 'suspended'`,
        [executionId],
      );
      const step = waiting.find((w) => listening.includes(w.step_key));
      if (!step || !ACTIVE_EXECUTION.includes(exec.status))
        return { delivered: false as const, reason: 'not_waiting' as const };
      // The event is stored on the step's row and the row made due now: the next attempt reads it.
      await tx.run(
        `UPDATE ce_steps SET status = 'ready', due_at = ?, item = ? WHERE execution_id = ? AND step_key = ? AND status = 'suspended'`,
        [
          now,
          json({ delivered: true, payload: payload ?? null, deliveredAt: now }),
          executionId,
          step.step_key,
        ],
      );
      await this.resumeIfNoneWaits(tx, exec, now);
      fx.work = true;
      return { delivered: true as const, stepId: step.step_key };
    });
  }

  private async resumeIfNoneWaits(tx: Tx, exec: ExecRow, now: number) {
    const still = await tx.get<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM ce_steps WHERE execution_id = ? AND status = 'suspended'`,
      [exec.id],
    );
    if (Number(still?.n ?? 0) > 0 || exec.status !== 'suspended') return;
    exec.status = 'running';
    await tx.run(`UPDATE ce_executions SET status = 'running', updated_at = ? WHERE id = ?`, [now, exec.id]);
  }

  // ---------------------------------------------------------------- claiming

  async claimSteps(owner: string, max: number, now: number, leaseMs: number): Promise<ClaimedStep[]> {
    if (max <= 0) return [];
    return this.db.transaction(async (tx) => {
      // An expired lease (status running, due) is claimed exactly like a ready step: the worker
      // that held it is presumed dead, and the attempt counter fences its late writes.
      const rows = await tx.all<StepRow & { workflow_id: string; workflow_version: number }>(
        `UPDATE ce_steps SET status = 'running', attempts = attempts + 1, lease_owner = ?, due_at = ?,
           started_at = COALESCE(started_at, ?)
         WHERE (execution_id, step_key) IN (
           SELECT execution_id, step_key FROM ce_steps
           WHERE status IN ('ready', 'running', 'suspended') AND due_at <= ?
           ORDER BY due_at LIMIT ?${this.skipLocked})
         RETURNING execution_id, step_key, step_id, kind, item_index, item, attempts`,
        [owner, now + leaseMs, now, now, max],
      );
      if (rows.length === 0) return [];
      const claimed: ClaimedStep[] = [];
      const execs = new Map<string, { workflow_id: string; workflow_version: number }>();
      for (const r of rows) {
        if (r.attempts > 1)
          await tx.run(
            `UPDATE ce_attempts SET finished_at = ?, outcome = 'lease-expired'
             WHERE execution_id = ? AND step_key = ? AND attempt < ? AND finished_at IS NULL`,
            [now, r.execution_id, r.step_key, r.attempts],
          );
        await tx.run(
          'INSERT INTO ce_attempts (execution_id, step_key, attempt, worker_id, claimed_at) VALUES (?, ?, ?, ?, ?)',
          [r.execution_id, r.step_key, r.attempts, owner, now],
        );
        let e = execs.get(r.execution_id);
        if (!e) {
          e = await tx.get<{ workflow_id: string; workflow_version: number }>(
            'SELECT workflow_id, workflow_version FROM ce_executions WHERE id = ?',
            [r.execution_id],
          );
          if (!e) continue;
          execs.set(r.execution_id, e);
        }
        claimed.push({
          executionId: r.execution_id,
          stepKey: r.step_key,
          owner,
          attempt: r.attempts,
          workflowId: e.workflow_id,
          workflowVersion: e.workflow_version,
          stepId: r.step_id,
          kind: r.kind,
          itemIndex: r.item_index,
          item: parse(r.item),
        });
      }
      return claimed;
    });
  }

  async heartbeat(lease: Lease, now: number, leaseMs: number) {
    const changed = await this.db.run(
      `UPDATE ce_steps SET due_at = ? WHERE execution_id = ? AND step_key = ? AND status = 'running'
       AND lease_owner = ? AND attempts = ?`,
      [now + leaseMs, lease.executionId, lease.stepKey, lease.owner, lease.attempt],
    );
    return changed === 1;
  }

  async nextDueAt() {
    const row = await this.db.get<{ due: number | null }>(
      `SELECT MIN(due_at) AS due FROM ce_steps WHERE status IN ('ready', 'running', 'suspended')`,
    );
    return row?.due ?? undefined;
  }

  async attempts(executionId?: string): Promise<AttemptRecord[]> {
    const rows = await this.db.all<{
      execution_id: string;
      step_key: string;
      attempt: number;
      worker_id: string;
      claimed_at: number;
      finished_at: number | null;
      outcome: string | null;
      error: string | null;
    }>(
      executionId
        ? 'SELECT * FROM ce_attempts WHERE execution_id = ? ORDER BY id'
        : 'SELECT * FROM ce_attempts ORDER BY id',
      executionId ? [executionId] : [],
    );
    return rows.map((r) => ({
      executionId: r.execution_id,
      stepKey: r.step_key,
      attempt: r.attempt,
      workerId: r.worker_id,
      claimedAt: r.claimed_at,
      finishedAt: orUndef(r.finished_at),
      outcome: orUndef(r.outcome),
      error: orUndef(r.error),
    }));
  }

  // ---------------------------------------------------------------- finishing a step

  async finishStep(lease: Lease, outcome: StepOutcome, now: number): Promise<boolean> {
    return this.transition(async (tx, fx) => {
      const fence = [lease.executionId, lease.stepKey, lease.owner, lease.attempt];
      const FENCE = `execution_id = ? AND step_key = ? AND status = 'running' AND lease_owner = ? AND attempts = ?`;
      const recordAttempt = (result: string, error?: string) =>
        tx.run(
          `UPDATE ce_attempts SET finished_at = ?, outcome = ?, error = ?
           WHERE execution_id = ? AND step_key = ? AND attempt = ? AND worker_id = ? AND finished_at IS NULL`,
          [now, result, error ?? null, lease.executionId, lease.stepKey, lease.attempt, lease.owner],
        );

      if (outcome.kind === 'retry') {
        // A retry touches only this step's row: no other row depends on a step still in flight.
        const ok = await tx.run(
          `UPDATE ce_steps SET status = 'ready', due_at = ?, lease_owner = NULL, error = ? WHERE ${FENCE}`,
          [outcome.retryAt, outcome.error, ...fence],
        );
        await recordAttempt(ok ? 'retry' : 'stale', outcome.error);
        if (ok) fx.work = true;
        return ok === 1;
      }

      const exec = await tx.get<ExecRow>(`SELECT * FROM ce_executions WHERE id = ?${this.lock}`, [
        lease.executionId,
      ]);
      const step = await tx.get<StepRow>(`SELECT * FROM ce_steps WHERE execution_id = ? AND step_key = ?`, [
        lease.executionId,
        lease.stepKey,
      ]);
      if (
        !exec ||
        !step ||
        step.status !== 'running' ||
        step.lease_owner !== lease.owner ||
        step.attempts !== lease.attempt
      ) {
        // Lost lease (another worker re-claimed it) or the execution was cancelled/failed meanwhile.
        await recordAttempt('stale', outcome.kind === 'failed' ? outcome.error : undefined);
        return false;
      }
      const def = await this.definition(tx, exec.workflow_id, exec.workflow_version);

      if (outcome.kind === 'failed') {
        await tx.run(
          `UPDATE ce_steps SET status = 'failed', error = ?, lease_owner = NULL, finished_at = ? WHERE ${FENCE}`,
          [outcome.error, now, ...fence],
        );
        await recordAttempt('failed', outcome.error);
        await this.onStepFailed(tx, fx, exec, def, step, outcome.error, now);
        return true;
      }

      if (outcome.kind === 'expanded') {
        const stepDef = def.steps.find((s) => s.id === step.step_id);
        const limit = stepDef?.maxParallelism ?? Number.POSITIVE_INFINITY;
        await recordAttempt('success');
        if (outcome.items.length === 0) {
          await this.markDone(tx, exec, lease.stepKey, 'success', [], now);
          await this.afterStepDone(tx, fx, exec, def, step.step_id, 'success', [], now);
          return true;
        }
        await tx.run(
          `UPDATE ce_steps SET status = 'waiting', lease_owner = NULL, remaining = ? WHERE ${FENCE}`,
          [outcome.items.length, ...fence],
        );
        for (const [index, item] of outcome.items.entries()) {
          await tx.run(
            `INSERT INTO ce_steps (execution_id, step_key, step_id, kind, item_index, item, status, due_at)
             VALUES (?, ?, ?, 'item', ?, ?, ?, ?)`,
            [
              exec.id,
              itemKey(step.step_id, index),
              step.step_id,
              index,
              json(item),
              index < limit ? 'ready' : 'queued',
              now,
            ],
          );
        }
        fx.work = true;
        return true;
      }

      if (outcome.kind === 'suspended') {
        // The wait holds no lease: the row is claimable again only at its timer (due_at), or
        // at once when deliverEvent puts the event on it.
        await tx.run(
          `UPDATE ce_steps SET status = 'suspended', due_at = ?, lease_owner = NULL, item = ?, meta = ? WHERE ${FENCE}`,
          [
            outcome.until,
            json({ timeoutAt: outcome.until === Number.MAX_SAFE_INTEGER ? null : outcome.until }),
            json({ waitingFor: outcome.event }),
            ...fence,
          ],
        );
        await recordAttempt('suspended');
        if (exec.status === 'running') {
          await tx.run(`UPDATE ce_executions SET status = 'suspended', updated_at = ? WHERE id = ?`, [
            now,
            exec.id,
          ]);
        }
        fx.work = true;
        return true;
      }

      // The last waiting event step resumed (event or timer): the execution runs again.
      if (exec.status === 'suspended') await this.resumeIfNoneWaits(tx, exec, now);

      const status = outcome.kind === 'skipped' ? 'skipped' : 'success';
      const output = outcome.kind === 'success' ? outcome.output : undefined;
      const meta = outcome.kind === 'success' ? outcome.meta : { skipReason: 'when' };
      await recordAttempt(status);

      if (step.kind === 'compensation') {
        await this.markDone(tx, exec, lease.stepKey, status, output, now, meta);
        await this.nextCompensation(tx, fx, exec, now);
        return true;
      }

      if (step.kind === 'item') {
        await tx.run(
          `UPDATE ce_steps SET status = ?, output = ?, meta = ?, error = NULL, lease_owner = NULL, finished_at = ?
           WHERE ${FENCE}`,
          [status, json(output), meta ? json(meta) : null, now, ...fence],
        );
        const promoted = await tx.run(
          `UPDATE ce_steps SET status = 'ready', due_at = ? WHERE (execution_id, step_key) IN (
             SELECT execution_id, step_key FROM ce_steps WHERE execution_id = ? AND step_id = ? AND kind = 'item'
             AND status = 'queued' ORDER BY item_index LIMIT 1)`,
          [now, exec.id, step.step_id],
        );
        if (promoted) fx.work = true;
        const map = await tx.get<{ remaining: number }>(
          `UPDATE ce_steps SET remaining = remaining - 1 WHERE execution_id = ? AND step_key = ? RETURNING remaining`,
          [exec.id, step.step_id],
        );
        if (map && map.remaining === 0) {
          // Fan-in: the map's output is its items' outputs in item order.
          const items = await tx.all<{ output: string | null }>(
            `SELECT output FROM ce_steps WHERE execution_id = ? AND step_id = ? AND kind = 'item' ORDER BY item_index`,
            [exec.id, step.step_id],
          );
          const mapOutput = items.map((i) => parse(i.output) ?? null);
          await this.markDone(tx, exec, step.step_id, 'success', mapOutput, now);
          await this.afterStepDone(tx, fx, exec, def, step.step_id, 'success', mapOutput, now);
        }
        return true;
      }

      await this.markDone(tx, exec, lease.stepKey, status, output, now, meta);
      await this.afterStepDone(tx, fx, exec, def, step.step_id, status, output, now);
      return true;
    });
  }

  /** Marks a task/map/compensation row done, numbering completions so compensation can reverse them. */
  private async markDone(
    tx: Tx,
    exec: ExecRow,
    stepKey: string,
    status: StepStatus,
    output: unknown,
    now: number,
    meta?: Record<string, unknown>,
  ) {
    exec.seq += 1;
    await tx.run('UPDATE ce_executions SET seq = ?, updated_at = ? WHERE id = ?', [exec.seq, now, exec.id]);
    // A finished step keeps no error of an earlier failed attempt: ce_attempts holds the history.
    await tx.run(
      `UPDATE ce_steps SET status = ?, output = ?, meta = ?, error = NULL, lease_owner = NULL, finished_at = ?,
         done_seq = ?, started_at = COALESCE(started_at, ?)
       WHERE execution_id = ? AND step_key = ?`,
      [status, json(output), meta ? json(meta) : null, now, exec.seq, now, exec.id, stepKey],
    );
  }

  private async afterStepDone(
    tx: Tx,
    fx: Effects,
    exec: ExecRow,
    def: WorkflowDefinition,
    stepId: string,
    status: StepStatus,
    output: unknown,
    now: number,
  ) {
    await this.stepWebhook(tx, fx, exec, def, now, { stepId, status, output });
    const rows = await tx.all<{
      step_id: string;
      status: StepStatus;
      output: string | null;
      meta: string | null;
    }>(
      `SELECT step_id, status, output, meta FROM ce_steps WHERE execution_id = ? AND kind IN ('task', 'map')`,
      [exec.id],
    );
    const statusOf = new Map(rows.map((r) => [r.step_id, r.status]));
    const satisfied = (id: string) => ['success', 'skipped'].includes(statusOf.get(id) ?? '');
    // A condition that evaluated false closes its branch: its dependents are skipped, and theirs.
    const stepDefs = new Map(def.steps.map((s) => [s.id, s]));
    const closed = new Set<string>();
    for (const r of rows) {
      const isFalseCondition =
        stepDefs.get(r.step_id)?.action === 'condition' &&
        r.status === 'success' &&
        (parse(r.output) as { result?: unknown } | undefined)?.result === false;
      const skippedByCondition =
        r.status === 'skipped' &&
        typeof (parse(r.meta) as { skippedBy?: unknown } | undefined)?.skippedBy === 'string';
      if (isFalseCondition || skippedByCondition) closed.add(r.step_id);
    }
    const finished = [stepId];
    while (finished.length > 0) {
      const done = finished.shift() as string;
      for (const s of def.steps) {
        if (!s.dependencies.includes(done) || statusOf.get(s.id) !== 'pending') continue;
        if (!s.dependencies.every(satisfied)) continue;
        const closer = s.dependencies.find((d) => closed.has(d));
        if (closer !== undefined) {
          const by =
            stepDefs.get(closer)?.action === 'condition' ? closer : (this.skipCause(rows, closer) ?? closer);
          await this.markDone(tx, exec, s.id, 'skipped', undefined, now, { skippedBy: by });
          statusOf.set(s.id, 'skipped');
          const row = rows.find((r) => r.step_id === s.id);
          if (row) Object.assign(row, { status: 'skipped', meta: json({ skippedBy: by }) });
          closed.add(s.id);
          await this.stepWebhook(tx, fx, exec, def, now, { stepId: s.id, status: 'skipped', skippedBy: by });
          finished.push(s.id);
          continue;
        }
        await tx.run(
          `UPDATE ce_steps SET status = 'ready', due_at = ?, started_at = ? WHERE execution_id = ? AND step_key = ? AND status = 'pending'`,
          [readyAt(s, now), timerStart(s, now), exec.id, s.id],
        );
        fx.work = true;
      }
    }
    // Every step the deadline covers ended in time: its timer row will not fire.
    if (def.deadline && (def.deadline.until ?? def.steps.map((s) => s.id)).every(satisfied))
      await tx.run(
        `UPDATE ce_steps SET status = 'success', lease_owner = NULL, finished_at = ?
         WHERE execution_id = ? AND step_key = ? AND status IN ('ready', 'running')`,
        [now, exec.id, DEADLINE_KEY],
      );
    if (!def.steps.every((s) => satisfied(s.id))) return;
    // Completed: the output is the definition's `output` expression over the context, else
    // the single sink's output, or an object of all sinks' outputs.
    const sinks = def.steps.filter((s) => !def.steps.some((o) => o.dependencies.includes(s.id)));
    const outputs = await tx.all<{ step_id: string; output: string | null }>(
      `SELECT step_id, output FROM ce_steps WHERE execution_id = ? AND kind IN ('task', 'map')`,
      [exec.id],
    );
    const byId = new Map(outputs.map((o) => [o.step_id, parse(o.output)]));
    const succeeded = rows.filter((r) => r.status === 'success').map((r) => [r.step_id, byId.get(r.step_id)]);
    const result = def.output
      ? ((await evaluate(def.output, {
          ...(parse(exec.input) as object),
          ...Object.fromEntries(succeeded),
        })) ?? null)
      : sinks.length === 1
        ? byId.get((sinks[0] as { id: string }).id)
        : Object.fromEntries(sinks.map((s) => [s.id, byId.get(s.id)]));
    await this.finishExecution(tx, fx, exec, 'completed', now, { output: result });
  }

  /** The condition a skipped step's branch was closed by (recorded on the step). */
  private skipCause(rows: { step_id: string; meta: string | null }[], stepId: string): string | undefined {
    const row = rows.find((r) => r.step_id === stepId);
    return (parse(row?.meta) as { skippedBy?: string } | undefined)?.skippedBy;
  }

  /** onStep: one message per finished task/map step, whatever its status (success, skipped, failed). */
  private async stepWebhook(
    tx: Tx,
    fx: Effects,
    exec: ExecRow,
    def: WorkflowDefinition,
    now: number,
    detail: { stepId: string; status: StepStatus; output?: unknown; error?: string; skippedBy?: string },
  ) {
    if (def.webhooks?.onStep)
      await this.enqueue(tx, fx, exec.id, 'step.completed', def.webhooks.onStep, now, {
        executionId: exec.id,
        workflowId: exec.workflow_id,
        ...detail,
      });
  }

  private async onStepFailed(
    tx: Tx,
    fx: Effects,
    exec: ExecRow,
    def: WorkflowDefinition,
    step: StepRow,
    error: string,
    now: number,
  ) {
    if (!ACTIVE_EXECUTION.includes(exec.status)) return;
    if (step.kind === 'task' || step.kind === 'map' || step.kind === 'item')
      await this.stepWebhook(tx, fx, exec, def, now, { stepId: step.step_id, status: 'failed', error });
    const message = step.kind === 'deadline' ? error : `step '${step.step_key}' failed: ${error}`;
    if (step.kind === 'compensation') {
      await this.cancelOpenSteps(tx, exec.id, now);
      await this.finishExecution(tx, fx, exec, 'failed', now, { error: `compensation ${message}` });
      return;
    }
    if (step.kind === 'item')
      await tx.run(
        `UPDATE ce_steps SET status = 'failed', error = ?, finished_at = ? WHERE execution_id = ? AND step_key = ?`,
        [message, now, exec.id, step.step_id],
      );
    await this.cancelOpenSteps(tx, exec.id, now);
    // Saga: undo the completed steps that have a compensating handler, latest first, one at a time.
    const done = await tx.all<{ step_id: string; output: string | null }>(
      `SELECT step_id, output FROM ce_steps WHERE execution_id = ? AND kind IN ('task', 'map') AND status = 'success'
       ORDER BY done_seq DESC`,
      [exec.id],
    );
    const toUndo = done.filter((d) => def.steps.find((s) => s.id === d.step_id)?.compensate);
    if (toUndo.length === 0) {
      await this.finishExecution(tx, fx, exec, 'failed', now, { error: message });
      return;
    }
    for (const [order, d] of toUndo.entries()) {
      await tx.run(
        `INSERT INTO ce_steps (execution_id, step_key, step_id, kind, item_index, item, status, due_at)
         VALUES (?, ?, ?, 'compensation', ?, ?, ?, ?)`,
        [
          exec.id,
          compensationKey(d.step_id),
          d.step_id,
          order,
          d.output ?? 'null',
          order === 0 ? 'ready' : 'pending',
          now,
        ],
      );
    }
    exec.status = 'compensating';
    exec.error = message;
    await tx.run(`UPDATE ce_executions SET status = 'compensating', error = ?, updated_at = ? WHERE id = ?`, [
      message,
      now,
      exec.id,
    ]);
    fx.work = true;
  }

  private async nextCompensation(tx: Tx, fx: Effects, exec: ExecRow, now: number) {
    const next = await tx.run(
      `UPDATE ce_steps SET status = 'ready', due_at = ? WHERE (execution_id, step_key) IN (
         SELECT execution_id, step_key FROM ce_steps WHERE execution_id = ? AND kind = 'compensation'
         AND status = 'pending' ORDER BY item_index LIMIT 1)`,
      [now, exec.id],
    );
    if (next) {
      fx.work = true;
      return;
    }
    await this.finishExecution(tx, fx, exec, 'compensated', now, { error: exec.error ?? undefined });
  }

  private async cancelOpenSteps(tx: Tx, executionId: string, now: number) {
    await tx.run(
      `UPDATE ce_steps SET status = 'cancelled', lease_owner = NULL, finished_at = ?
       WHERE execution_id = ? AND status IN ('pending', 'ready', 'running', 'waiting', 'queued', 'suspended')`,
      [now, executionId],
    );
  }

  private async finishExecution(
    tx: Tx,
    fx: Effects,
    exec: ExecRow,
    status: ExecutionStatus,
    now: number,
    r: { output?: unknown; error?: string },
  ) {
    await tx.run(
      'UPDATE ce_executions SET status = ?, output = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?',
      [status, r.output === undefined ? null : json(r.output), r.error ?? null, now, now, exec.id],
    );
    exec.status = status;
    const def = await this.definition(tx, exec.workflow_id, exec.workflow_version);
    const url = status === 'completed' ? def.webhooks?.onComplete : def.webhooks?.onFailure;
    if (url)
      await this.enqueue(tx, fx, exec.id, `execution.${status}`, url, now, {
        executionId: exec.id,
        workflowId: exec.workflow_id,
        workflowVersion: exec.workflow_version,
        status,
        output: r.output,
        error: r.error,
      });
    fx.done = exec.id;
  }

  // ---------------------------------------------------------------- outbox

  private async enqueue(
    tx: Tx,
    fx: Effects,
    executionId: string,
    event: string,
    url: string,
    now: number,
    payload: unknown,
  ) {
    await tx.run(
      `INSERT INTO ce_outbox (execution_id, event, url, payload, status, due_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
      [executionId, event, url, json({ event, ...(payload as object) }), now, now],
    );
    fx.outbox = true;
  }

  async claimOutbox(owner: string, max: number, now: number, leaseMs: number): Promise<OutboxMessage[]> {
    const rows = await this.db.transaction((tx) =>
      tx.all<{
        id: number;
        execution_id: string;
        event: string;
        url: string;
        payload: string;
        attempts: number;
      }>(
        `UPDATE ce_outbox SET attempts = attempts + 1, lease_owner = ?, due_at = ?
         WHERE id IN (SELECT id FROM ce_outbox WHERE status = 'pending' AND due_at <= ? ORDER BY id LIMIT ?${this.skipLocked})
         RETURNING id, execution_id, event, url, payload, attempts`,
        [owner, now + leaseMs, now, max],
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      executionId: r.execution_id,
      event: r.event,
      url: r.url,
      payload: JSON.parse(r.payload),
      attempts: r.attempts,
    }));
  }

  async outboxDelivered(id: number, owner: string, now: number) {
    await this.db.run(
      `UPDATE ce_outbox SET status = 'delivered', delivered_at = ?, lease_owner = NULL WHERE id = ? AND lease_owner = ?`,
      [now, id, owner],
    );
  }

  async outboxFailed(id: number, owner: string, error: string, retryAt: number | undefined) {
    await this.db.run(
      `UPDATE ce_outbox SET status = ?, due_at = ?, last_error = ?, lease_owner = NULL WHERE id = ? AND lease_owner = ?`,
      [retryAt === undefined ? 'dead' : 'pending', retryAt ?? 0, error, id, owner],
    );
  }

  async nextOutboxDueAt() {
    const row = await this.db.get<{ due: number | null }>(
      `SELECT MIN(due_at) AS due FROM ce_outbox WHERE status = 'pending'`,
    );
    return row?.due ?? undefined;
  }

  onOutbox(listener: () => void) {
    this.events.on('outbox', listener);
    this.events.on('work', listener);
    return () => {
      this.events.off('outbox', listener);
      this.events.off('work', listener);
    };
  }

  async outbox(executionId: string) {
    const rows = await this.db.all<{
      id: number;
      execution_id: string;
      event: string;
      url: string;
      payload: string;
      attempts: number;
      status: string;
      last_error: string | null;
      lease_owner: string | null;
    }>('SELECT * FROM ce_outbox WHERE execution_id = ? ORDER BY id', [executionId]);
    return rows.map((r) => ({
      id: r.id,
      executionId: r.execution_id,
      event: r.event,
      url: r.url,
      payload: JSON.parse(r.payload),
      attempts: r.attempts,
      status: r.status,
      lastError: orUndef(r.last_error),
      leased: r.lease_owner !== null,
    }));
  }
}

/** A delay step is a durable timer: it becomes runnable only once its duration has passed. */
function readyAt(step: WorkflowDefinition['steps'][number], now: number) {
  return step.action === 'delay' ? now + Number(step.params.duration ?? 0) : now;
}

/** A delay step starts when its timer does, so its duration covers the wait; others start at their first claim. */
function timerStart(step: WorkflowDefinition['steps'][number], now: number) {
  return step.action === 'delay' ? now : null;
}

export class NotFoundError extends Error {}

export type StoreOptions = { sqlitePath?: string; databaseUrl?: string; poolSize?: number };

/** PostgreSQL when a URL is given (or DATABASE_URL is set), SQLite otherwise. */
export async function openStore(options: StoreOptions = {}): Promise<SqlStore> {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  const store = url
    ? new SqlStore(new PostgresDb(url, options.poolSize))
    : new SqlStore(new SqliteDb(options.sqlitePath ?? process.env.CE_SQLITE_PATH ?? 'custom-engine.db'));
  await store.init();
  return store;
}
