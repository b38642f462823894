import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SPLIT_RETRY_POLICY } from '../flow/split-policy';
import { LLM_RETRY_POLICY } from './retry-policy';

/**
 * The retry policies as JSON, for stacks whose orchestration is not TypeScript (prefect/ reads
 * them from Python). Generated, committed, and checked equal to the policies by
 * retry-policy-json.test.ts, so each policy still lives once: edit retry-policy.ts or
 * split-policy.ts, then run `pnpm --filter @invoice/shared gen`.
 */
export const POLICY_JSON_FILES = [
  {
    name: 'LLM_RETRY_POLICY',
    policy: LLM_RETRY_POLICY,
    path: fileURLToPath(new URL('./retry-policy.json', import.meta.url)),
  },
  {
    name: 'SPLIT_RETRY_POLICY',
    policy: SPLIT_RETRY_POLICY,
    path: fileURLToPath(new URL('../flow/split-policy.json', import.meta.url)),
  },
] as const;

export const policyJson = (policy: object) => `${JSON.stringify(policy, null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { policy, path } of POLICY_JSON_FILES) {
    writeFileSync(path, policyJson(policy));
    console.log(`wrote ${path}`);
  }
}
