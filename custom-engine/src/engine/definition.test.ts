import { describe, expect, it } from 'vitest';
import { DefinitionError, findCycle, retryDelay, validateDefinition } from './definition';

const step = (id: string, dependencies: string[] = [], extra: Record<string, unknown> = {}) => ({
  id,
  action: 'work',
  dependencies,
  ...extra,
});
const problems = (def: unknown, actions = ['work']) => {
  try {
    validateDefinition(def, actions);
  } catch (error) {
    if (error instanceof DefinitionError) return error.problems;
    throw error;
  }
  return [];
};

describe('definition validator', () => {
  it('accepts a DAG and fills defaults', () => {
    const def = validateDefinition({ id: 'w', steps: [step('a'), step('b', ['a']), step('c', ['a', 'b'])] }, [
      'work',
    ]);
    expect(def.steps.map((s) => s.type)).toEqual(['task', 'task', 'task']);
    expect(def.steps[0]?.params).toEqual({});
  });

  it('checks event steps, the deadline and the output expression', () => {
    expect(
      problems({
        id: 'w',
        steps: [
          { id: 'a', action: 'event', params: { timeout: 'soon' } },
          { id: 'b', action: 'event', type: 'map', items: 'a', dependencies: ['a'], params: { name: 'x' } },
        ],
        deadline: { after: 1000, until: ['nope'] },
        output: '$$$(',
      }),
    ).toEqual([
      "step 'a': params.name must be a non-empty string",
      "step 'a': params.timeout must be a number of ms >= 0 or one {{context.<path>}} placeholder",
      "step 'b': an event step cannot be a map",
      expect.stringMatching(/^output is not a valid JSONata expression/),
      "deadline.until names unknown step 'nope'",
    ]);
    expect(
      problems({
        id: 'w',
        steps: [{ id: 'a', action: 'event', params: { name: 'go', timeout: '{{context.ms}}' } }],
        deadline: { after: '{{context.deadlineMs}}' },
        output: 'a.payload',
      }),
    ).toEqual([]);
  });

  it('names the cycle', () => {
    expect(
      problems({ id: 'w', steps: [step('a', ['c']), step('b', ['a']), step('c', ['b']), step('d')] }),
    ).toEqual(['dependency cycle: a -> b -> c -> a']);
    expect(findCycle([step('x', ['x'])])).toEqual(['x', 'x']);
  });

  it('names unknown dependencies, duplicate ids and unknown actions', () => {
    const found = problems({
      id: 'w',
      steps: [step('a'), step('a'), step('b', ['nope']), { id: 'c', action: 'launch.rockets' }],
    });
    expect(found).toContain("duplicate step id 'a'");
    expect(found).toContain("step 'b' depends on unknown step 'nope'");
    expect(found).toContain("step 'c' uses unknown action 'launch.rockets'");
  });

  it('rejects bad retry policies with the field named', () => {
    expect(
      problems({
        id: 'w',
        steps: [
          step('a', [], {
            retryPolicy: { maxAttempts: 3, initialDelay: 1000, backoffMultiplier: 2, maxDelay: 10 },
          }),
        ],
      }),
    ).toEqual(["step 'a': retryPolicy.maxDelay (10) must be >= initialDelay (1000)"]);
    const zero = problems({
      id: 'w',
      steps: [
        step('a', [], {
          retryPolicy: { maxAttempts: 0, initialDelay: 10, backoffMultiplier: 0.5, maxDelay: 10 },
        }),
      ],
    });
    expect(zero.some((p) => p.startsWith("step 'a': steps.0.retryPolicy.maxAttempts"))).toBe(true);
    expect(zero.some((p) => p.startsWith("step 'a': steps.0.retryPolicy.backoffMultiplier"))).toBe(true);
  });

  it('takes a transform as JavaScript code or JSONata, not both, and refuses broken JSONata', () => {
    const found = problems({
      id: 'w',
      steps: [
        { id: 'js', action: 'transform', params: { inputKey: 'x', code: 'return input' } },
        { id: 'both', action: 'transform', params: { code: 'return 1', expression: '1' } },
        { id: 'neither', action: 'transform', params: { inputKey: 'x' } },
        { id: 'bad', action: 'transform', params: { expression: 'amount >' } },
        { id: 'c', action: 'condition', params: {} },
      ],
    });
    expect(found).toEqual([
      "step 'both': transform takes exactly one of params.code (JavaScript) or params.expression (JSONata)",
      "step 'neither': transform takes exactly one of params.code (JavaScript) or params.expression (JSONata)",
      expect.stringMatching(/^step 'bad': params.expression is not a valid JSONata expression/),
      "step 'c': params.expression must be a non-empty string",
    ]);
  });

  it("accepts a step without action as a no-op (the API doc's CI/CD skeleton)", () => {
    const def = validateDefinition(
      { id: 'w', steps: [{ id: 'checkout' }, { id: 'test', dependencies: ['checkout'] }] },
      [],
    );
    expect(def.steps.map((s) => s.action)).toEqual(['noop', 'noop']);
  });

  it('requires a map to read its items from one of its dependencies', () => {
    expect(
      problems({ id: 'w', steps: [step('list'), step('each', [], { type: 'map', items: 'list.pages' })] }),
    ).toEqual(["step 'each': items read step 'list', which is not among its dependencies"]);
    expect(problems({ id: 'w', steps: [step('list'), step('each', ['list'], { type: 'map' })] })).toEqual([
      "step 'each': a map step needs 'items' (an expression naming an earlier step's array)",
    ]);
    expect(
      problems({
        id: 'w',
        steps: [step('list'), step('each', ['list'], { type: 'map', items: 'list.pages' })],
      }),
    ).toEqual([]);
  });

  it('rejects unknown fields and malformed ids', () => {
    const found = problems({ id: 'w', steps: [{ ...step('a'), retries: 3 }, step('9bad')] });
    expect(found.some((p) => p.includes('retries'))).toBe(true);
    expect(found.some((p) => p.includes('steps.1.id'))).toBe(true);
  });

  it('computes exponential backoff with capped, bounded jitter', () => {
    const policy = { maxAttempts: 6, initialDelay: 100, backoffMultiplier: 2, maxDelay: 1000, jitter: 0.2 };
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5].map((a) => retryDelay(policy, a, mid))).toEqual([100, 200, 400, 800, 1000]);
    expect(retryDelay(policy, 1, () => 0)).toBe(80);
    expect(retryDelay(policy, 1, () => 1)).toBe(120);
  });
});
