import { join } from 'node:path';
import type { ProcessSpec, TopologyContext } from '../launcher/topology';

/** Runs a TypeScript entry file with tsx as the process itself (no wrapper), so SIGKILL hits it. */
export function tsxCommand(
  ctx: TopologyContext,
  entry: string,
  args: string[] = [],
): Pick<ProcessSpec, 'command' | 'args' | 'cwd'> {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', join(ctx.repoRoot, entry), ...args],
    cwd: ctx.repoRoot,
  };
}

/** The blob store every process of one stack instance shares. */
export function localBlobEnv(ctx: TopologyContext): Record<string, string> {
  return { BLOB_STORE: 'local', BLOB_DIR: join(ctx.runDir, 'blobs') };
}

/** The mock LLM as one process of any stack; LLM_* settings pass through to it. */
export async function mockLlmProcess(ctx: TopologyContext): Promise<{ process: ProcessSpec; url: string }> {
  const port = await ctx.port('mock-llm');
  const url = `http://127.0.0.1:${port}`;
  const llmSettings = Object.fromEntries(Object.entries(ctx.settings).filter(([k]) => k.startsWith('LLM_')));
  return {
    url,
    process: {
      name: 'mock-llm',
      kind: 'tool',
      killable: false,
      ...tsxCommand(ctx, 'tools/src/mock-llm/main.ts'),
      env: { PORT: String(port), ...llmSettings },
      ready: { http: `${url}/healthz` },
    },
  };
}

/**
 * One of the shared activity services (shared/src/flow/activity-service.ts) as a process of a
 * stack: `name` is both the process name and SERVICE (split, extract or aggregate).
 */
export function activityServiceProcess(
  ctx: TopologyContext,
  service: string,
  port: number,
  llmUrl: string,
): ProcessSpec {
  return {
    name: service,
    kind: 'service',
    killable: true,
    ...tsxCommand(ctx, 'shared/src/flow/activity-service.ts'),
    env: { SERVICE: service, PORT: String(port), LLM_URL: llmUrl },
    dependsOn: ['mock-llm'],
    ready: { http: `http://127.0.0.1:${port}/healthz` },
  };
}
