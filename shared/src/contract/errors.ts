import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from './types';

/** The one JSON error shape of the contract: {error:{code,message}}. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  extra = {},
) {
  return c.json({ error: { code, message }, ...extra } satisfies ErrorBody, status);
}
