// The sandbox's thread (plain JavaScript, so that it loads the same under node, tsx and vitest).
// It evaluates one script at a time in a fresh QuickJS runtime: the memory limit and the
// interpreter's deadline are enforced here; the thread that started it terminates it if a long
// native call keeps the interpreter from reaching its next deadline check.
import { parentPort } from 'node:worker_threads';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';

const quickjs = await newQuickJSWASMModuleFromVariant(variant);

/** @param {{ source: string, input: unknown, limits: { timeLimitMs: number, memoryLimitBytes: number } }} job */
function evaluate({ source, input, limits }) {
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryLimitBytes);
  // Above ~512 KiB a deep recursion overflows the host's stack before QuickJS notices.
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
      const error = vm.dump(result.error);
      result.error.dispose();
      if (interrupted) return { kind: 'time' };
      const message = `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`;
      if (error === null || /out of memory/i.test(message)) return { kind: 'memory' };
      return { kind: 'threw', message };
    }
    const out = vm.dump(result.value);
    result.value.dispose();
    return { kind: 'ok', json: typeof out === 'string' ? out : 'null' };
  } finally {
    vm.dispose();
    runtime.dispose();
  }
}

parentPort?.on('message', (job) => {
  let outcome;
  try {
    outcome = evaluate(job);
  } catch (error) {
    outcome = { kind: 'threw', message: `InternalError: ${error instanceof Error ? error.message : error}` };
  }
  parentPort?.postMessage({ id: job.id, ...outcome });
});
parentPort?.postMessage({ ready: true });
