import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LLM_RETRY_POLICY } from './retry-policy';

/**
 * LLM_RETRY_POLICY as JSON, for stacks whose orchestration is not TypeScript (prefect/ reads it
 * from Python). Generated, committed, and checked equal to the policy by retry-policy-json.test.ts,
 * so the policy still lives once: edit retry-policy.ts, then run `pnpm --filter @invoice/shared gen`.
 */
export const RETRY_POLICY_JSON_PATH = fileURLToPath(new URL('./retry-policy.json', import.meta.url));

export const retryPolicyJson = () => `${JSON.stringify(LLM_RETRY_POLICY, null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(RETRY_POLICY_JSON_PATH, retryPolicyJson());
  console.log(`wrote ${RETRY_POLICY_JSON_PATH}`);
}
