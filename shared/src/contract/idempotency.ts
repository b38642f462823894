import { createHash } from 'node:crypto';

/** The request header of an idempotent upload (the IETF httpapi draft's name). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * A key is 1-128 characters of a URL- and log-safe set: it ends up in engine ids' derivation,
 * logs and error messages, so nothing that needs escaping is accepted.
 */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:~-]{1,128}$/;

export const isValidIdempotencyKey = (key: string) => IDEMPOTENCY_KEY.test(key);

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest();

/**
 * The run id of an idempotent upload: a UUID-shaped digest of the key (version nibble 8, RFC 9562
 * "custom"), so every API process maps one key onto one engine id without a table of ours; the
 * engine's duplicate policy on that id does the de-duplication. The prefix keeps these ids apart
 * from any other use of sha256 over the same text.
 */
export function runIdFromKey(key: string): string {
  const b = sha256(`invoice-idempotency-key\0${key}`).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** What is stored in the run's input and compared on a repeat: same key + other body = 409. */
export const bodySha256 = (bytes: Uint8Array) => sha256(bytes).toString('hex');
