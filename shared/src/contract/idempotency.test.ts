import { describe, expect, it } from 'vitest';
import { bodySha256, isValidIdempotencyKey, runIdFromKey } from './idempotency';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('idempotency keys', () => {
  it('accepts 1-128 safe characters and refuses anything else', () => {
    for (const ok of ['a', 'order-42', 'A.b_c:d~e', 'x'.repeat(128)])
      expect(isValidIdempotencyKey(ok)).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'has space', 'semi;colon', 'slash/', 'é', 'new\nline'])
      expect(isValidIdempotencyKey(bad)).toBe(false);
  });

  it('maps one key onto one UUID-shaped run id, and different keys onto different ids', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `key-${i}`);
    const ids = keys.map(runIdFromKey);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(keys.map(runIdFromKey)).toEqual(ids);
    expect(new Set(ids).size).toBe(keys.length);
  });

  it('hashes the body so a different body under the same key can be told apart', () => {
    expect(bodySha256(new Uint8Array([1, 2]))).toBe(bodySha256(new Uint8Array([1, 2])));
    expect(bodySha256(new Uint8Array([1, 2]))).not.toBe(bodySha256(new Uint8Array([1, 3])));
  });
});
