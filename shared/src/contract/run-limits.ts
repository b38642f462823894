/**
 * The two limits every run carries (issue 16): a deadline for the whole invoice and the time a
 * run with discrepancies waits for a person. The server's defaults come from the environment;
 * a client may ask for a shorter one per upload (the headers below), never a longer one, so
 * tests can exercise both without restarting a stack, and no client can hold a run longer.
 */

/**
 * 15 min. 500 pages at the kit's default LLM (lognormal, median 800 ms) through the slowest
 * stack measured (Prefect, about 1.7 s per page at 10 concurrent tasks) is about 85 s; the
 * rest covers retries (6 attempts of at most 30 s per page) and a restarted worker.
 */
export const DEFAULT_INVOICE_DEADLINE_MS = 15 * 60_000;
/** 24 h: a person's working day, and then some. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;

export const DEADLINE_HEADER = 'invoice-deadline-ms';
export const APPROVAL_TIMEOUT_HEADER = 'approval-timeout-ms';

export type RunLimits = { deadlineMs: number; approvalTimeoutMs: number };

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1500", "1500ms", "90s", "15m", "24h", "1d" -> milliseconds; anything else throws. */
export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: use 1500, 1500ms, 90s, 15m, 24h or 1d`);
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
  if (ms <= 0) throw new Error(`"${text}" is not a positive duration`);
  return ms;
}

/** INVOICE_DEADLINE_MS and APPROVAL_TIMEOUT (each a duration, see parseDurationMs). */
export function runLimitsFromEnv(env: Record<string, string | undefined> = process.env): RunLimits {
  return {
    deadlineMs: env.INVOICE_DEADLINE_MS
      ? parseDurationMs(env.INVOICE_DEADLINE_MS)
      : DEFAULT_INVOICE_DEADLINE_MS,
    approvalTimeoutMs: env.APPROVAL_TIMEOUT
      ? parseDurationMs(env.APPROVAL_TIMEOUT)
      : DEFAULT_APPROVAL_TIMEOUT_MS,
  };
}

/** The limits one upload runs with: the server's, or shorter ones its headers ask for. */
export function runLimitsOf(
  header: (name: string) => string | undefined,
  defaults: RunLimits,
): { ok: true; limits: RunLimits } | { ok: false; message: string } {
  const limits = { ...defaults };
  for (const [name, field] of [
    [DEADLINE_HEADER, 'deadlineMs'],
    [APPROVAL_TIMEOUT_HEADER, 'approvalTimeoutMs'],
  ] as const) {
    const value = header(name);
    if (value === undefined) continue;
    if (!/^\d{1,12}$/.test(value) || Number(value) <= 0) {
      return {
        ok: false,
        message: `${name} must be a positive whole number of milliseconds, not "${value}"`,
      };
    }
    limits[field] = Math.min(defaults[field], Number(value));
  }
  return { ok: true, limits };
}
