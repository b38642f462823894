import type { WorkflowDefinition } from './definition';
import type { ExecutionRecord, StepRecord } from './types';

/** The API doc's JSON shapes, built from the store's records. */

const duration = (s: { startedAt?: number; finishedAt?: number }) =>
  s.startedAt !== undefined && s.finishedAt !== undefined ? s.finishedAt - s.startedAt : undefined;

type StepView = {
  stepId: string;
  status: string;
  attempts: number;
  duration?: number;
  result?: unknown;
  error?: string;
  items?: { total: number; success: number; running: number; failed: number };
  compensation?: { status: string; attempts: number; error?: string };
};

export function executionView(execution: ExecutionRecord, steps: StepRecord[], def: WorkflowDefinition) {
  const main = new Map(steps.filter((s) => s.kind === 'task' || s.kind === 'map').map((s) => [s.stepId, s]));
  const stepResults: Record<string, StepView> = {};
  for (const d of def.steps) {
    const s = main.get(d.id);
    if (!s) continue;
    const items = steps.filter((i) => i.kind === 'item' && i.stepId === d.id);
    const comp = steps.find((c) => c.kind === 'compensation' && c.stepId === d.id);
    stepResults[d.id] = {
      stepId: d.id,
      status: s.status,
      attempts: s.kind === 'map' ? items.reduce((n, i) => n + i.attempts, 0) : s.attempts,
      duration: duration(s),
      ...(s.output !== undefined && s.status === 'success' ? { result: s.output } : {}),
      ...(s.error ? { error: s.error } : {}),
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
    def.steps.filter((d) => status.includes(main.get(d.id)?.status ?? '')).map((d) => d.id);
  const context: Record<string, unknown> = { ...execution.input };
  for (const s of main.values()) if (s.status === 'success') context[s.stepId] = s.output;
  return {
    executionId: execution.id,
    workflowId: execution.workflowId,
    workflowVersion: execution.workflowVersion,
    status: execution.status,
    startTime: execution.createdAt,
    ...(execution.finishedAt !== undefined ? { endTime: execution.finishedAt } : {}),
    currentSteps: ids(['running', 'waiting', 'ready']),
    completedSteps: ids(['success', 'skipped']),
    failedSteps: ids(['failed']),
    stepResults,
    ...(execution.output !== undefined ? { output: execution.output } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    context,
  };
}

const CLASS: Record<string, string> = {
  pending: 'pending',
  ready: 'pending',
  queued: 'pending',
  running: 'running',
  waiting: 'running',
  success: 'success',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

const nodeId = (id: string) => `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
const label = (s: string) => s.replace(/["<>]/g, "'");

export function visualizeView(execution: ExecutionRecord, steps: StepRecord[], def: WorkflowDefinition) {
  const view = executionView(execution, steps, def);
  const end = execution.finishedAt ?? execution.updatedAt;
  const stepList = def.steps.map((d) => {
    const r = view.stepResults[d.id];
    return {
      id: d.id,
      name: d.name ?? d.id,
      type: d.type,
      status: r?.status ?? 'pending',
      attempts: r?.attempts ?? 0,
      ...(r?.duration !== undefined ? { duration: r.duration } : {}),
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
