import Module from 'node:module';

/**
 * Stands in for the Azure Functions Node.js worker's `@azure/functions-core` module. In the real
 * worker that module is injected by the worker process; `@azure/functions` (and through it
 * `durable-functions`) calls `registerFunction(metadata, handler)` on it for every `app.*` and
 * `df.app.*` registration. Answering that module here lets the test host load the app's entry
 * file unchanged and collect exactly the functions the Functions host would index.
 */
export type FunctionBinding = {
  type: string;
  direction: 'in' | 'out';
  name?: string;
  [key: string]: unknown;
};
export type RegisteredFunction = {
  name: string;
  triggerType: string;
  bindings: Record<string, FunctionBinding>;
  handler: (...args: unknown[]) => unknown;
};

const registry = new Map<string, RegisteredFunction>();
let installed = false;

type CoreMetadata = { name: string; bindings: Record<string, FunctionBinding> };

const coreApi = {
  version: '3.10.1',
  hostVersion: 'replay-test-host',
  setProgrammingModel(): void {},
  getProgrammingModel(): undefined {
    return undefined;
  },
  registerHook() {
    return { dispose() {} };
  },
  registerFunction(metadata: CoreMetadata, handler: RegisteredFunction['handler']) {
    const trigger = Object.values(metadata.bindings).find((b) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`function ${metadata.name} has no trigger binding`);
    if (registry.has(metadata.name)) throw new Error(`function ${metadata.name} registered twice`);
    registry.set(metadata.name, {
      name: metadata.name,
      triggerType: trigger.type,
      bindings: metadata.bindings,
      handler,
    });
    return { dispose: () => registry.delete(metadata.name) };
  },
};

/** Must run before the app (or anything that registers functions) is imported. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const loader = Module as unknown as {
    _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  };
  const original = loader._load;
  loader._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean) {
    if (request === '@azure/functions-core') return coreApi;
    return original.call(this, request, parent, isMain);
  };
}

export function registeredFunctions(): ReadonlyMap<string, RegisteredFunction> {
  return registry;
}

/** Imports the app's entry module with the stand-in installed and returns what it registered. */
export async function loadFunctionApp(entry: string): Promise<ReadonlyMap<string, RegisteredFunction>> {
  installFunctionsCore();
  await import(entry);
  return registry;
}
