/**
 * `{{context.x}}` and `{{steps.<id>.result.y}}` in an HTTP step's url, headers and body, resolved
 * from the execution's state when the attempt runs. Pure functions: no I/O.
 *
 * - `context.<path>`: the execution's context (its input plus every finished step's result by id).
 * - `steps.<id>.result.<path>`: one finished step's result.
 * - A body string that is exactly one placeholder becomes the value itself (a number stays a
 *   number); anywhere else a string is inserted as is and any other value JSON-encoded, and in a
 *   url the inserted text is URL-encoded.
 * - A reference to something that does not exist throws: the step fails instead of sending `undefined`.
 */

export type PlaceholderState = { context: Record<string, unknown>; results: Record<string, unknown> };

export class PlaceholderError extends Error {
  readonly retryable = false;
}

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;

const has = (value: unknown, key: string) =>
  value !== null && typeof value === 'object' && Object.hasOwn(value, key);

/** The value a reference names; throws PlaceholderError when any part of the path is missing. */
export function lookup(reference: string, state: PlaceholderState): unknown {
  const [root, ...path] = reference.split('.');
  let value: unknown;
  let rest: string[];
  if (root === 'context') {
    value = state.context;
    rest = path;
  } else if (root === 'steps') {
    const [id, field, ...tail] = path;
    if (id === undefined || field !== 'result')
      throw new PlaceholderError(`{{${reference}}}: write steps.<id>.result[.path]`);
    if (!has(state.results, id)) throw new PlaceholderError(`{{${reference}}}: step '${id}' has no result`);
    value = state.results[id];
    rest = tail;
  } else {
    throw new PlaceholderError(`{{${reference}}}: a reference starts with context. or steps.`);
  }
  for (const key of rest) {
    if (!has(value, key)) throw new PlaceholderError(`{{${reference}}}: '${key}' does not exist`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function resolveText(text: string, state: PlaceholderState, encode: (s: string) => string = (s) => s) {
  return text.replace(PLACEHOLDER, (_, reference: string) => encode(asText(lookup(reference, state))));
}

/** Resolves every string inside a JSON value; a string that is exactly one placeholder keeps the value's type. */
export function resolveValue(value: unknown, state: PlaceholderState): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    return whole ? lookup(whole[1] as string, state) : resolveText(value, state);
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, state));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, state)]));
  return value;
}

export const resolveUrl = (url: string, state: PlaceholderState) =>
  resolveText(url, state, encodeURIComponent);

export const resolveHeaders = (headers: Record<string, string> | undefined, state: PlaceholderState) =>
  headers && Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, resolveText(String(v), state)]));

/**
 * A duration param (an event's timeout, a deadline's `after`): a number, or one placeholder that
 * must name a number >= 0. A placeholder naming nothing is undefined: no timer at all.
 */
export function resolveMs(value: unknown, state: PlaceholderState): number | undefined {
  if (value === undefined) return undefined;
  let ms: unknown = value;
  if (typeof value === 'string') {
    try {
      ms = resolveValue(value, state);
    } catch (error) {
      if (error instanceof PlaceholderError) return undefined;
      throw error;
    }
  }
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw new PlaceholderError(`${JSON.stringify(value)} is ${JSON.stringify(ms)}, not a number of ms >= 0`);
  return ms;
}
