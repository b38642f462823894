/** Money is carried as integer minor units (cents); these helpers convert at the edges only. */

const AMOUNT = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/** Parses "1,234.50" or "1234.5" into minor units; returns undefined for anything else. */
export function parseMinor(text: string): number | undefined {
  const match = AMOUNT.exec(text.trim().replaceAll(',', ''));
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return sign ? -minor : minor;
}

/** Formats minor units as "1234.50" (no grouping), exactly, without floats. */
export function formatMinor(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** quantity × unit price, both exact; quantity is an integer count here. */
export function lineAmount(quantity: number, unitPriceMinor: number): number {
  return quantity * unitPriceMinor;
}
