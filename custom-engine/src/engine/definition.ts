import jsonata from 'jsonata';
import { z } from 'zod';

/**
 * The workflow definition model. Definitions arrive over HTTP, so everything in them is data:
 * handlers are referenced by name, and the only code is JSONata (an expression language with no
 * access to the host) or JavaScript run in the QuickJS sandbox (sandbox.ts). No eval,
 * new Function or vm anywhere in the engine.
 */

export const BUILTIN_ACTIONS = [
  'http.request',
  'delay',
  'event',
  'webhook',
  'condition',
  'transform',
  'noop',
] as const;
/** A step without `action` does nothing and succeeds: a DAG skeleton (the API doc's CI/CD example) runs. */
export const DEFAULT_ACTION = 'noop';
export type BuiltinAction = (typeof BUILTIN_ACTIONS)[number];

export const RetryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100),
    initialDelay: z.number().int().min(0).max(86_400_000),
    backoffMultiplier: z.number().min(1).max(100),
    maxDelay: z.number().int().min(0).max(86_400_000),
    /** ± fraction of each delay, so that retries of many steps do not arrive in lockstep. */
    jitter: z.number().min(0).max(1).optional(),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

const StepId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'ids start with a letter and hold only letters, digits, _ and -');

export const StepSchema = z
  .object({
    id: StepId,
    name: z.string().max(200).optional(),
    /** `task` runs its action once; `map` runs it once per element of the `items` array. */
    type: z.enum(['task', 'map']).default('task'),
    action: z.string().min(1).max(200).default(DEFAULT_ACTION),
    params: z.record(z.string(), z.unknown()).default({}),
    dependencies: z.array(StepId).default([]),
    retryPolicy: RetryPolicySchema.optional(),
    /** Per-attempt timeout in ms; an attempt that runs longer fails (and is retried). */
    timeout: z.number().int().min(1).max(86_400_000).optional(),
    /** map only: JSONata expression over the context that yields the array to fan out over. */
    items: z.string().min(1).max(2000).optional(),
    /** map only: at most this many items of this step run at once. */
    maxParallelism: z.number().int().min(1).max(10_000).optional(),
    /** JSONata expression; when it is falsy at run time the step is skipped. */
    when: z.string().min(1).max(2000).optional(),
    /** Saga: registered handler that undoes this step when the execution fails later. */
    compensate: z.string().min(1).max(200).optional(),
  })
  .strict();
export type StepDefinition = z.infer<typeof StepSchema>;
export type StepInput = z.input<typeof StepSchema>;

/** A number of ms, or one `{{context.<path>}}` placeholder resolved when the value is needed. */
const MsOrPlaceholder = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^\{\{[^{}]+\}\}$/, 'a number of ms or one {{context.<path>}} placeholder'),
]);

/**
 * An execution-level deadline: the steps in `until` (default: every step) must have ended
 * within `after` ms of the start, else the engine fails the execution with `deadline_exceeded`,
 * cancelling what is open and compensating what is done, as a failed step would. A placeholder
 * that names nothing in the input means no deadline for that execution.
 */
export const DeadlineSchema = z
  .object({ after: MsOrPlaceholder, until: z.array(StepId).min(1).optional() })
  .strict();

const Url = z.string().url();
export const WorkflowSchema = z
  .object({
    id: StepId,
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    steps: z.array(StepSchema).min(1).max(1000),
    webhooks: z
      .object({ onStep: Url.optional(), onComplete: Url.optional(), onFailure: Url.optional() })
      .strict()
      .optional(),
    /** JSONata over the context (input + succeeded steps' results): the execution's output. */
    output: z.string().min(1).max(2000).optional(),
    deadline: DeadlineSchema.optional(),
  })
  .strict();
export type WorkflowDefinition = z.infer<typeof WorkflowSchema>;
export type WorkflowInput = z.input<typeof WorkflowSchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 1,
  initialDelay: 0,
  backoffMultiplier: 1,
  maxDelay: 0,
};

export class DefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'DefinitionError';
  }
}

/** Returns one cycle as a path (`a -> b -> a`), or undefined when the graph is acyclic. */
export function findCycle(steps: Pick<StepDefinition, 'id' | 'dependencies'>[]): string[] | undefined {
  const deps = new Map(steps.map((s) => [s.id, s.dependencies]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const cycle = visit(s.id);
    // Edges point from a step to what it depends on; print them in execution order.
    if (cycle) return cycle.reverse();
  }
  return undefined;
}

function compiles(expression: string): string | undefined {
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    return (error as { message?: string }).message ?? String(error);
  }
}

/**
 * Parses and checks a definition. `knownActions` are the registered handler names; the
 * built-ins are always known. Throws DefinitionError listing every problem found.
 */
export function validateDefinition(raw: unknown, knownActions: Iterable<string>): WorkflowDefinition {
  const parsed = WorkflowSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DefinitionError(
      parsed.error.issues.map((issue) => {
        const path = issue.path.length ? issue.path.join('.') : '(root)';
        const stepIndex =
          issue.path[0] === 'steps' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
        const stepId =
          stepIndex !== undefined
            ? (raw as { steps?: { id?: unknown }[] })?.steps?.[stepIndex]?.id
            : undefined;
        return `${typeof stepId === 'string' ? `step '${stepId}': ` : ''}${path}: ${issue.message}`;
      }),
    );
  }
  const def = parsed.data;
  const problems: string[] = [];
  const actions = new Set<string>([...BUILTIN_ACTIONS, ...knownActions]);
  const ids = new Set<string>();
  for (const step of def.steps) {
    if (ids.has(step.id)) problems.push(`duplicate step id '${step.id}'`);
    ids.add(step.id);
  }
  for (const step of def.steps) {
    const where = `step '${step.id}'`;
    for (const dep of step.dependencies) {
      if (!ids.has(dep)) problems.push(`${where} depends on unknown step '${dep}'`);
      if (dep === step.id) problems.push(`${where} depends on itself`);
    }
    if (!actions.has(step.action)) problems.push(`${where} uses unknown action '${step.action}'`);
    if (step.compensate !== undefined && !actions.has(step.compensate))
      problems.push(`${where} names unknown compensation handler '${step.compensate}'`);
    const rp = step.retryPolicy;
    if (rp && rp.maxDelay < rp.initialDelay)
      problems.push(
        `${where}: retryPolicy.maxDelay (${rp.maxDelay}) must be >= initialDelay (${rp.initialDelay})`,
      );
    if (step.type === 'map') {
      if (step.action === 'event') problems.push(`${where}: an event step cannot be a map`);
      if (!step.items)
        problems.push(`${where}: a map step needs 'items' (an expression naming an earlier step's array)`);
    } else {
      if (step.items !== undefined) problems.push(`${where}: 'items' is only allowed on map steps`);
      if (step.maxParallelism !== undefined)
        problems.push(`${where}: 'maxParallelism' is only allowed on map steps`);
    }
    for (const [field, expr] of [
      ['items', step.items],
      ['when', step.when],
    ] as const) {
      if (expr === undefined) continue;
      const error = compiles(expr);
      if (error) problems.push(`${where}: ${field} is not a valid JSONata expression: ${error}`);
    }
    problems.push(...checkBuiltinParams(step).map((p) => `${where}: ${p}`));
  }
  if (def.output !== undefined) {
    const error = compiles(def.output);
    if (error) problems.push(`output is not a valid JSONata expression: ${error}`);
  }
  for (const id of def.deadline?.until ?? [])
    if (!ids.has(id)) problems.push(`deadline.until names unknown step '${id}'`);
  const cycle = findCycle(def.steps);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(' -> ')}`);
  // A map may only read an array produced before it: its items must come from an ancestor.
  if (!cycle && problems.length === 0) {
    const ancestors = ancestorSets(def);
    for (const step of def.steps) {
      if (step.type !== 'map' || !step.items) continue;
      const root = /^`?([A-Za-z][A-Za-z0-9_-]*)`?/.exec(step.items)?.[1];
      if (root && ids.has(root) && !ancestors.get(step.id)?.has(root))
        problems.push(`step '${step.id}': items read step '${root}', which is not among its dependencies`);
    }
  }
  if (problems.length) throw new DefinitionError(problems);
  return def;
}

function checkBuiltinParams(step: StepDefinition): string[] {
  const p = step.params;
  const problems: string[] = [];
  const needString = (key: string) => {
    if (typeof p[key] !== 'string' || p[key] === '')
      problems.push(`params.${key} must be a non-empty string`);
  };
  switch (step.action) {
    case 'http.request':
      needString('url');
      if (p.method !== undefined && !['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(String(p.method)))
        problems.push(`params.method must be GET, POST, PUT, PATCH or DELETE`);
      break;
    case 'webhook':
      needString('url');
      break;
    case 'event':
      needString('name');
      if (p.timeout !== undefined && !MsOrPlaceholder.safeParse(p.timeout).success)
        problems.push('params.timeout must be a number of ms >= 0 or one {{context.<path>}} placeholder');
      break;
    case 'delay':
      if (typeof p.duration !== 'number' || !(p.duration >= 0))
        problems.push('params.duration must be a number >= 0 (ms)');
      break;
    case 'condition':
      // A JavaScript expression over `context`, run in the sandbox (syntax errors fail the step).
      needString('expression');
      break;
    case 'transform': {
      // JavaScript `code` (the API doc's form, sandboxed) or a JSONata `expression`: exactly one.
      if ((p.code === undefined) === (p.expression === undefined)) {
        problems.push(
          'transform takes exactly one of params.code (JavaScript) or params.expression (JSONata)',
        );
        break;
      }
      if (p.inputKey !== undefined && (typeof p.inputKey !== 'string' || p.inputKey === ''))
        problems.push('params.inputKey must be a non-empty string (a step id or a context key)');
      if (p.code !== undefined) needString('code');
      else {
        needString('expression');
        if (typeof p.expression === 'string') {
          const error = compiles(p.expression);
          if (error) problems.push(`params.expression is not a valid JSONata expression: ${error}`);
        }
      }
      break;
    }
  }
  return problems;
}

export function ancestorSets(def: WorkflowDefinition): Map<string, Set<string>> {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const memo = new Map<string, Set<string>>();
  const of = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const set = new Set<string>();
    memo.set(id, set);
    for (const dep of byId.get(id)?.dependencies ?? []) {
      set.add(dep);
      for (const a of of(dep)) set.add(a);
    }
    return set;
  };
  for (const s of def.steps) of(s.id);
  return memo;
}

/** Delay before attempt `attempt + 1` (attempts count from 1), with jitter drawn from `random`. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.backoffMultiplier ** (attempt - 1));
  const jitter = policy.jitter ?? 0;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
