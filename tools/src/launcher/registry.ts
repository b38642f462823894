import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopologyFactory } from './topology';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** run folders of stack instances: .run/<instance>/ (logs, state.json, data) */
export const RUN_ROOT = join(REPO_ROOT, '.run');

/** Every stack the launcher knows, in the order the demo and `compare` run them. */
const TOPOLOGY_FILES: Record<string, string> = {
  'mock-llm': 'tools/src/topologies/mock-llm-stack.ts',
  azurite: 'tools/src/topologies/azurite.ts',
  lossy: 'tools/src/topologies/lossy.ts',
  reference: 'tools/src/topologies/reference.ts',
  'custom-engine': 'custom-engine/topology.ts',
  temporal: 'temporal/topology.ts',
  dapr: 'dapr/topology.ts',
  'azure-durable-functions': 'azure-durable-functions/topology.ts',
};

/** Stacks whose topology file exists in this checkout. */
export function knownStacks(): string[] {
  return Object.keys(TOPOLOGY_FILES).filter((name) => existsSync(join(REPO_ROOT, TOPOLOGY_FILES[name]!)));
}

/** Stacks that exist only to test the launcher and the kit. */
const TOOL_STACKS = new Set(['mock-llm', 'azurite', 'lossy']);

/** The invoice stacks the demo and `compare` run: every real orchestrator plus the reference. */
export function invoiceStacks(): string[] {
  return knownStacks().filter((name) => !TOOL_STACKS.has(name));
}

export async function loadTopology(stack: string): Promise<TopologyFactory> {
  const file = TOPOLOGY_FILES[stack];
  if (!file || !existsSync(join(REPO_ROOT, file))) {
    throw new Error(`unknown stack "${stack}"; known: ${knownStacks().join(', ')}`);
  }
  const module = (await import(join(REPO_ROOT, file))) as { default: TopologyFactory };
  return module.default;
}
