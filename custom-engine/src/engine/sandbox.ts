import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';

/**
 * JavaScript from workflow definitions (the API doc's `transform` code and `condition`
 * expressions) runs here: in QuickJS compiled to WebAssembly, a separate heap with no `process`,
 * `require`, `fetch`, timers or file system, under a memory limit and a deadline enforced by the
 * interpreter's interrupt handler. Data goes in and out as JSON text only, so no host object is
 * ever reachable from the script. Never eval, `new Function` or `node:vm` (not a security boundary).
 */

export type SandboxLimits = { timeLimitMs: number; memoryLimitBytes: number };
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  timeLimitMs: 1_000,
  memoryLimitBytes: 16 * 1024 * 1024,
};

/** A script failed: its own error, a time-out or the memory limit. Never worth a retry. */
export class SandboxError extends Error {
  readonly retryable = false;
}

let loading: Promise<QuickJSWASMModule> | undefined;
const quickjs = () => {
  loading ??= newQuickJSWASMModuleFromVariant(variant);
  return loading;
};

/**
 * Evaluates `source` (a script whose completion value is a JSON string or undefined) with the
 * global `__input` holding `input` as JSON text. One fresh runtime per call: nothing a script
 * leaves behind reaches the next one.
 */
async function run(source: string, input: unknown, limits: SandboxLimits): Promise<unknown> {
  const module = await quickjs();
  const runtime = module.newRuntime();
  runtime.setMemoryLimit(limits.memoryLimitBytes);
  runtime.setMaxStackSize(256 * 1024);
  const deadline = Date.now() + limits.timeLimitMs;
  let interrupted = false;
  runtime.setInterruptHandler(() => {
    interrupted = Date.now() > deadline;
    return interrupted;
  });
  const vm = runtime.newContext();
  try {
    const text = vm.newString(JSON.stringify(input ?? null));
    vm.setProp(vm.global, '__input', text);
    text.dispose();
    const result = vm.evalCode(source, 'step.js');
    if (result.error) {
      const error = vm.dump(result.error) as { name?: string; message?: string } | null;
      result.error.dispose();
      if (interrupted) throw new SandboxError(`script ran longer than its ${limits.timeLimitMs} ms limit`);
      const message = `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`;
      if (error === null || /out of memory/i.test(message))
        throw new SandboxError(`script exceeded its ${limits.memoryLimitBytes} byte memory limit`);
      throw new SandboxError(`script threw ${message}`);
    }
    const out = vm.dump(result.value);
    result.value.dispose();
    return typeof out === 'string' ? JSON.parse(out) : null;
  } finally {
    vm.dispose();
    runtime.dispose();
  }
}

/** Runs a function body (`return ...`) with `input` bound; resolves with its JSON result. */
export function runTransform(
  code: string,
  input: unknown,
  limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS,
): Promise<unknown> {
  return run(
    `(() => { const __r = (function (input) {\n${code}\n})(JSON.parse(globalThis.__input));
       return __r === undefined ? undefined : JSON.stringify(__r); })()`,
    input,
    limits,
  );
}

/**
 * Evaluates a JavaScript expression with `context` bound. `context` is read-only and strict:
 * reading a property that does not exist throws, so a misspelt step id or field fails the step
 * instead of quietly comparing `undefined`.
 */
export async function evaluateCondition(
  expression: string,
  context: Record<string, unknown>,
  limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS,
): Promise<boolean> {
  const result = await run(
    `(() => {
       const strict = (value, path) => {
         if (value === null || typeof value !== 'object') return value;
         return new Proxy(value, {
           get(target, key, receiver) {
             if (typeof key === 'symbol') return Reflect.get(target, key, receiver);
             const at = /^[A-Za-z_$][\\w$]*$/.test(key) ? path + '.' + key : path + '[' + JSON.stringify(key) + ']';
             if (!(key in target)) throw new ReferenceError(at + ' does not exist');
             return strict(Reflect.get(target, key, receiver), at);
           },
           set() { throw new TypeError('context is read-only'); },
         });
       };
       const __r = (function (context) { return (\n${expression}\n); })(strict(JSON.parse(globalThis.__input), 'context'));
       return JSON.stringify(Boolean(__r));
     })()`,
    context,
    limits,
  );
  return result === true;
}
