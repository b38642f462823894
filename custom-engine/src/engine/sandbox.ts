import { Worker as Thread } from 'node:worker_threads';

/**
 * JavaScript from workflow definitions (the API doc's `transform` code and `condition`
 * expressions) runs here: in QuickJS compiled to WebAssembly (quickjs-emscripten), a separate
 * heap with no `process`, `require`, `fetch`, timers or file system, under a memory limit and a
 * deadline. Data goes in and out as JSON text only, so no host object is ever reachable from a
 * script. Never eval, `new Function` or `node:vm` (vm is not a security boundary).
 *
 * QuickJS runs on a thread of its own (sandbox-thread.mjs), one script at a time, so a script
 * never blocks the worker's event loop (heartbeats, other steps). The interpreter checks its
 * deadline between bytecode instructions; a long native call (a huge allocation near the memory
 * limit can take seconds) does not reach that check, so the thread is also terminated, and a
 * fresh one started, when a script outlives its limit by GRACE_MS.
 */

export type SandboxLimits = { timeLimitMs: number; memoryLimitBytes: number };
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  timeLimitMs: 1_000,
  memoryLimitBytes: 16 * 1024 * 1024,
};
const GRACE_MS = 250;

/** A script failed: its own error, a time-out or the memory limit. Never worth a retry. */
export class SandboxError extends Error {
  readonly retryable = false;
}

type Outcome =
  | { kind: 'ok'; json: string }
  | { kind: 'time' }
  | { kind: 'memory' }
  | { kind: 'threw'; message: string };
type Job = {
  id: number;
  source: string;
  input: unknown;
  limits: SandboxLimits;
  settle: (outcome: Outcome) => void;
};

/** The thread and its queue: jobs run one after another; a thread that overruns is replaced. */
class SandboxThread {
  private thread?: Thread;
  private ready?: Promise<void>;
  private readonly queue: Job[] = [];
  private current?: { job: Job; timer?: NodeJS.Timeout };
  private ids = 0;

  run(source: string, input: unknown, limits: SandboxLimits): Promise<Outcome> {
    return new Promise((settle) => {
      this.queue.push({ id: ++this.ids, source, input, limits, settle });
      void this.pump();
    });
  }

  private start() {
    const thread = new Thread(new URL('./sandbox-thread.mjs', import.meta.url));
    // An idle sandbox must not keep a process alive.
    thread.unref();
    this.thread = thread;
    this.ready = new Promise((resolve, reject) => {
      thread.once('message', () => resolve());
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`sandbox thread exited with ${code}`)));
    });
    this.ready.catch(() => {});
    thread.on('message', (m: { id?: number } & Outcome) => {
      if (this.thread === thread && m.id !== undefined && m.id === this.current?.job.id) this.finish(m);
    });
    const lost = (error: unknown) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      this.finish({ kind: 'threw', message: `InternalError: sandbox thread stopped: ${String(error)}` });
    };
    thread.on('error', lost);
    thread.on('exit', lost);
  }

  private async pump() {
    if (this.current || this.queue.length === 0) return;
    const job = this.queue.shift() as Job;
    this.current = { job };
    if (!this.thread) this.start();
    const thread = this.thread as Thread;
    try {
      // Starting a thread (loading QuickJS) does not count against the script's time.
      await this.ready;
    } catch (error) {
      if (this.thread === thread) this.thread = undefined;
      this.finish({
        kind: 'threw',
        message: `InternalError: sandbox thread did not start: ${String(error)}`,
      });
      return;
    }
    if (this.current?.job !== job) return;
    this.current.timer = setTimeout(() => {
      // The script outlived its limit inside a native call: stop the whole thread.
      this.thread = undefined;
      void thread.terminate();
      this.finish({ kind: 'time' });
    }, job.limits.timeLimitMs + GRACE_MS);
    thread.postMessage({ id: job.id, source: job.source, input: job.input, limits: job.limits });
  }

  private finish(outcome: Outcome) {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = undefined;
    current.job.settle(outcome);
    void this.pump();
  }
}

const sandbox = new SandboxThread();

/**
 * Evaluates `source` (a script whose completion value is a JSON string or undefined) with the
 * global `__input` holding `input` as JSON text, in a fresh QuickJS runtime: nothing a script
 * leaves behind reaches the next one.
 */
async function run(source: string, input: unknown, limits: SandboxLimits): Promise<unknown> {
  const outcome = await sandbox.run(source, input ?? null, limits);
  switch (outcome.kind) {
    case 'ok':
      return JSON.parse(outcome.json);
    case 'time':
      throw new SandboxError(`script ran longer than its ${limits.timeLimitMs} ms limit`);
    case 'memory':
      throw new SandboxError(`script exceeded its ${limits.memoryLimitBytes} byte memory limit`);
    case 'threw':
      throw new SandboxError(`script threw ${outcome.message}`);
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
