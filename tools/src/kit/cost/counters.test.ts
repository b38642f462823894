import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackHandle, upStack } from '../../launcher/launcher';
import { measureInvoiceCounts } from './counters';

// The custom engine on SQLite, started once for this file: no Go-built engine needed.
let handle: StackHandle;
beforeAll(async () => {
  handle = await upStack('custom-engine');
}, 180_000);
afterAll(() => handle?.down());

describe('state-store write counter on the custom engine', () => {
  it('counts every row write of one invoice, and one more page costs a fixed number more', async () => {
    const three = await measureInvoiceCounts(handle, 3);
    const four = await measureInvoiceCounts(handle, 4);
    const five = await measureInvoiceCounts(handle, 5);
    const w3 = three.stateStore!.byTable!;
    const w4 = four.stateStore!.byTable!;
    const w5 = five.stateStore!.byTable!;
    // One execution row per invoice, whatever its size.
    expect(w3['ce_executions insert']).toBe(1);
    expect(w5['ce_executions insert']).toBe(1);
    // Two more pages: two more step rows and two more attempt rows.
    expect(w5['ce_steps insert']! - w3['ce_steps insert']!).toBe(2);
    expect(w5['ce_attempts insert']! - w3['ce_attempts insert']!).toBe(2);
    // Each page's step row is updated as often as the last one's: one more page, the same
    // number more. (Not the average over all steps: the skipped approval steps and the
    // deadline row are written a different number of times.)
    const perPage = w4['ce_steps update']! - w3['ce_steps update']!;
    expect(perPage).toBeGreaterThan(0);
    expect(w5['ce_steps update']! - w4['ce_steps update']!).toBe(perPage);
    expect(five.stateStore!.writes).toBeGreaterThan(three.stateStore!.writes);
  });

  it('every row the invoice left behind was written at least once, and the counter leaves no trace', async () => {
    const counts = await measureInvoiceCounts(handle, 4);
    const db = new Database(handle.env.CE_SQLITE_PATH!, { readonly: true });
    try {
      const rows = ['ce_executions', 'ce_steps', 'ce_attempts'].reduce(
        (a, t) => a + (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n,
        0,
      );
      // rows of every invoice of this file so far; this one's inserts are part of them
      const inserts = Object.entries(counts.stateStore!.byTable!)
        .filter(([k]) => k.endsWith(' insert'))
        .reduce((a, [, n]) => a + n, 0);
      expect(inserts).toBeGreaterThan(0);
      expect(inserts).toBeLessThanOrEqual(rows);
      const leftovers = db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'kit_%'").all() as Array<{
        name: string;
      }>;
      expect(leftovers).toEqual([]);
    } finally {
      db.close();
    }
  });
});
