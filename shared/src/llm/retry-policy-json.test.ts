import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LLM_RETRY_POLICY } from './retry-policy';
import { RETRY_POLICY_JSON_PATH, retryPolicyJson } from './retry-policy-json';

describe('retry-policy.json (read by the Prefect flow)', () => {
  it('is exactly LLM_RETRY_POLICY: regenerate with `pnpm --filter @invoice/shared gen` after editing the policy', () => {
    const committed = readFileSync(RETRY_POLICY_JSON_PATH, 'utf8');
    expect(committed).toBe(retryPolicyJson());
    expect(JSON.parse(committed)).toEqual(LLM_RETRY_POLICY);
  });
});
