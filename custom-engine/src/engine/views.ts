import type { WorkflowDefinition } from './definition';
import type { AttemptRecord, ExecutionRecord, StepRecord } from './types';

/** The API doc's JSON shapes, built from the store's records. */

/** Wall time from a step's first attempt (a delay: its timer) to its end, live while it runs. */
const duration = (s: { startedAt?: number; finishedAt?: number }, now: number) =>
  s.startedAt !== undefined ? (s.finishedAt ?? now) - s.startedAt : undefined;

type StepView = {
  stepId: string;
  status: string;
  attempts: number;
  duration?: number;
  result?: unknown;
  /** http.request/webhook: the response's status and headers (the result is its body). */
  response?: unknown;
  /** skipped because this condition evaluated false (directly or further up the branch). */
  skippedBy?: string;
  nextAttemptAt?: number;
  /** a suspended `event` step: the event it waits for and when its timer fires (null: never) */
  waitingFor?: string;
  timeoutAt?: number | null;
  error?: string;
  attemptHistory?: {
    attempt: number;
    startedAt: number;
    finishedAt?: number;
    outcome?: string;
    error?: string;
  }[];
  items?: { total: number; success: number; running: number; failed: number };
  compensation?: { status: string; attempts: number; error?: string };
};

/**
 * The status a user should see: a step between attempts is `retrying` (not `ready`), a delay
 * whose timer runs is `running`.
 */
function visibleStatus(s: StepRecord, d: WorkflowDefinition['steps'][number]): string {
  if (s.status !== 'ready') return s.status;
  // An event step made ready by its event is not between attempts.
  if (s.attempts > 0 && d.action !== 'event') return 'retrying';
  if (d.action === 'delay' && s.startedAt !== undefined) return 'running';
  return 'ready';
}

export function executionView(
  execution: ExecutionRecord,
  steps: StepRecord[],
  def: WorkflowDefinition,
  now: number = Date.now(),
  attempts: AttemptRecord[] = [],
) {
  const main = new Map(steps.filter((s) => s.kind === 'task' || s.kind === 'map').map((s) => [s.stepId, s]));
  const stepResults: Record<string, StepView> = {};
  for (const d of def.steps) {
    const s = main.get(d.id);
    if (!s) continue;
    const items = steps.filter((i) => i.kind === 'item' && i.stepId === d.id);
    const comp = steps.find((c) => c.kind === 'compensation' && c.stepId === d.id);
    const status = visibleStatus(s, d);
    const history = attempts
      .filter((a) => a.stepKey === s.stepKey)
      .map((a) => ({
        attempt: a.attempt,
        startedAt: a.claimedAt,
        ...(a.finishedAt !== undefined ? { finishedAt: a.finishedAt } : {}),
        ...(a.outcome ? { outcome: a.outcome } : {}),
        ...(a.error ? { error: a.error } : {}),
      }));
    stepResults[d.id] = {
      stepId: d.id,
      status,
      attempts: s.kind === 'map' ? items.reduce((n, i) => n + i.attempts, 0) : s.attempts,
      duration: duration(s, now),
      ...(s.output !== undefined && s.status === 'success' ? { result: s.output } : {}),
      ...(s.meta?.response !== undefined ? { response: s.meta.response } : {}),
      ...(typeof s.meta?.skippedBy === 'string' ? { skippedBy: s.meta.skippedBy } : {}),
      ...(status === 'retrying' ? { nextAttemptAt: s.dueAt } : {}),
      ...(status === 'suspended'
        ? {
            waitingFor: String(s.meta?.waitingFor),
            timeoutAt: s.dueAt === Number.MAX_SAFE_INTEGER ? null : s.dueAt,
          }
        : {}),
      ...(s.error && s.status !== 'success' ? { error: s.error } : {}),
      ...(s.kind === 'task' && history.length > 0 ? { attemptHistory: history } : {}),
      ...(d.type === 'map'
        ? {
            items: {
              total: items.length,
              success: items.filter((i) => i.status === 'success').length,
              running: items.filter((i) => i.status === 'running').length,
              failed: items.filter((i) => i.status === 'failed').length,
            },
          }
        : {}),
      ...(comp ? { compensation: { status: comp.status, attempts: comp.attempts, error: comp.error } } : {}),
    };
  }
  const ids = (status: string[]) =>
    def.steps.filter((d) => status.includes(stepResults[d.id]?.status ?? '')).map((d) => d.id);
  const context: Record<string, unknown> = { ...execution.input };
  for (const s of main.values()) if (s.status === 'success') context[s.stepId] = s.output;
  return {
    executionId: execution.id,
    workflowId: execution.workflowId,
    workflowVersion: execution.workflowVersion,
    status: execution.status,
    startTime: execution.createdAt,
    ...(execution.finishedAt !== undefined ? { endTime: execution.finishedAt } : {}),
    currentSteps: ids(['running', 'waiting', 'ready', 'retrying', 'suspended']),
    completedSteps: ids(['success', 'skipped']),
    failedSteps: ids(['failed']),
    skippedSteps: ids(['skipped']),
    stepResults,
    ...(execution.output !== undefined ? { output: execution.output } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    context,
  };
}

const CLASS: Record<string, string> = {
  pending: 'pending',
  ready: 'pending',
  retrying: 'running',
  queued: 'pending',
  running: 'running',
  waiting: 'running',
  suspended: 'pending',
  success: 'success',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

const nodeId = (id: string) => `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
const label = (s: string) => s.replace(/["<>]/g, "'");

export function visualizeView(
  execution: ExecutionRecord,
  steps: StepRecord[],
  def: WorkflowDefinition,
  now: number = Date.now(),
) {
  const view = executionView(execution, steps, def, now);
  const end = execution.finishedAt ?? now;
  const stepList = def.steps.map((d) => {
    const r = view.stepResults[d.id];
    return {
      id: d.id,
      name: d.name ?? d.id,
      type: d.type,
      status: r?.status ?? 'pending',
      attempts: r?.attempts ?? 0,
      ...(r?.duration !== undefined ? { duration: r.duration } : {}),
      ...(r?.nextAttemptAt !== undefined ? { nextAttemptAt: r.nextAttemptAt } : {}),
      ...(r?.skippedBy !== undefined ? { skippedBy: r.skippedBy } : {}),
      dependencies: d.dependencies,
      ...(r?.items ? { items: r.items } : {}),
      ...(r?.compensation ? { compensation: r.compensation } : {}),
    };
  });
  const lines = ['flowchart TD'];
  for (const s of stepList) {
    const extra = s.items ? ` ${s.items.success}/${s.items.total} items` : '';
    lines.push(
      `  ${nodeId(s.id)}["${label(s.name)}<br/>${s.status}${extra}"]:::${CLASS[s.status] ?? 'pending'}`,
    );
  }
  for (const s of stepList)
    for (const dep of s.dependencies) lines.push(`  ${nodeId(dep)} --> ${nodeId(s.id)}`);
  for (const s of stepList)
    if (s.compensation) {
      const c = nodeId(`undo_${s.id}`);
      lines.push(
        `  ${c}(["undo ${label(s.name)}<br/>${s.compensation.status}"]):::${CLASS[s.compensation.status] ?? 'pending'}`,
      );
      lines.push(`  ${nodeId(s.id)} -.-> ${c}`);
    }
  lines.push(
    '  classDef pending fill:#eeeeee,stroke:#999999,color:#333333',
    '  classDef running fill:#cfe2ff,stroke:#0d6efd,color:#052c65',
    '  classDef success fill:#d1e7dd,stroke:#198754,color:#0a3622',
    '  classDef failed fill:#f8d7da,stroke:#dc3545,color:#58151c',
    '  classDef skipped fill:#fff3cd,stroke:#ffc107,color:#664d03',
    '  classDef cancelled fill:#e2e3e5,stroke:#6c757d,color:#2b2f32,stroke-dasharray:4 2',
  );
  return {
    executionId: execution.id,
    workflowName: def.name ?? def.id,
    workflowVersion: execution.workflowVersion,
    status: execution.status,
    duration: end - execution.createdAt,
    steps: stepList,
    mermaid: lines.join('\n'),
  };
}
