import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../launcher/registry';

/** The orchestration file of each stack: the one a newcomer reads first. */
export const ORCHESTRATION_FILES: Record<string, string> = {
  reference: 'tools/src/reference/pipeline.ts',
  'custom-engine': 'custom-engine/src/invoice-workflow.ts',
  temporal: 'temporal/src/workflows.ts',
  dapr: 'dapr/src/workflow.ts',
  'azure-durable-functions': 'azure-durable-functions/src/orchestrator.ts',
  prefect: 'prefect/src/invoice_flow/flow.py',
};

const STACK_FOLDERS: Record<string, string> = { reference: 'tools/src/reference' };

/**
 * A test file: `*.test.ts`, or anything under a top-level test/, tests/ or testing/ folder of the
 * stack. `test-host/` is NOT tests: it is the host that runs Durable Functions here.
 */
export function isTestFile(pathInStack: string): boolean {
  return /(\.test\.ts|_test\.py)$/.test(pathInStack) || /^(test|tests|testing)\//.test(pathInStack);
}

/** Source the stack's authors write: TypeScript, and Python where a framework is Python-only. */
export const isSourceFile = (path: string) => /\.(ts|py)$/.test(path);

const countLines = (text: string) => text.split('\n').filter((line) => line.trim() !== '').length;

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
}

/** Non-blank lines of TypeScript and Python: the orchestration file, the stack's code, and its tests. */
export async function linesOfCode(stack: string) {
  const folder = join(REPO_ROOT, STACK_FOLDERS[stack] ?? stack);
  const ts = (await walk(folder)).filter(isSourceFile);
  const sum = async (files: string[]) =>
    (await Promise.all(files.map(async (f) => countLines(await readFile(f, 'utf8'))))).reduce(
      (a, b) => a + b,
      0,
    );
  const orchestration = ORCHESTRATION_FILES[stack];
  return {
    stack,
    orchestrationFile: orchestration,
    orchestrationLines: orchestration ? await sum([join(REPO_ROOT, orchestration)]).catch(() => 0) : 0,
    codeLines: await sum(ts.filter((f) => !isTestFile(relative(folder, f)))),
    testLines: await sum(ts.filter((f) => isTestFile(relative(folder, f)))),
    files: ts.length,
  };
}
