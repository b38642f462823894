import { describe, expect, it } from 'vitest';
import {
  APPROVAL_TIMEOUT_HEADER,
  DEADLINE_HEADER,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  DEFAULT_INVOICE_DEADLINE_MS,
  parseDurationMs,
  runLimitsFromEnv,
  runLimitsOf,
} from './run-limits';

describe('run limits', () => {
  it('reads durations with and without a unit, and refuses anything else', () => {
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs('1500ms')).toBe(1500);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('1d')).toBe(86_400_000);
    for (const bad of ['', 'soon', '-5s', '0', '5 weeks']) expect(() => parseDurationMs(bad)).toThrow();
  });

  it('defaults to 15 min and 24 h, and takes INVOICE_DEADLINE_MS and APPROVAL_TIMEOUT', () => {
    expect(runLimitsFromEnv({})).toEqual({
      deadlineMs: DEFAULT_INVOICE_DEADLINE_MS,
      approvalTimeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS,
    });
    expect(runLimitsFromEnv({ INVOICE_DEADLINE_MS: '60000', APPROVAL_TIMEOUT: '2h' })).toEqual({
      deadlineMs: 60_000,
      approvalTimeoutMs: 7_200_000,
    });
  });

  it('lets a request shorten a limit, never lengthen it, and refuses a malformed header', () => {
    const defaults = { deadlineMs: 10_000, approvalTimeoutMs: 20_000 };
    const headers = (h: Record<string, string>) => (name: string) => h[name];
    expect(runLimitsOf(headers({}), defaults)).toEqual({ ok: true, limits: defaults });
    expect(
      runLimitsOf(headers({ [DEADLINE_HEADER]: '500', [APPROVAL_TIMEOUT_HEADER]: '99999' }), defaults),
    ).toEqual({ ok: true, limits: { deadlineMs: 500, approvalTimeoutMs: 20_000 } });
    for (const bad of ['0', '-1', '1.5', 'soon', '']) {
      expect(runLimitsOf(headers({ [DEADLINE_HEADER]: bad }), defaults).ok).toBe(false);
    }
  });
});
