import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POLICY_JSON_FILES, policyJson } from './retry-policy-json';

describe('retry-policy.json and split-policy.json (read by the Prefect flow)', () => {
  it.each(POLICY_JSON_FILES)(
    '$path is exactly $name: regenerate with `pnpm --filter @invoice/shared gen` after editing the policy',
    ({ policy, path }) => {
      const committed = readFileSync(path, 'utf8');
      expect(committed).toBe(policyJson(policy));
      expect(JSON.parse(committed)).toEqual(policy);
    },
  );
});
