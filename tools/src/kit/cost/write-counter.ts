import Database from 'better-sqlite3';
import type { WriteTally } from './counts';

/**
 * Counts row writes in a SQLite database that another process writes: AFTER INSERT/UPDATE/DELETE
 * triggers on each table add one to a tally row in the same database, inside the writer's own
 * transaction, so the count is exact and needs no change to the engine. Install before the
 * invoice, read after; `writesBetween` gives one invoice's writes when nothing else runs.
 * Used for the custom engine's SQLite store and Dapr's state.sqlite.
 */
const TALLY = 'kit_write_tally';

const open = (path: string) => {
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
};

export function installWriteCounter(path: string, tables: string[]): void {
  const db = open(path);
  try {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${TALLY} (tbl TEXT NOT NULL, op TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (tbl, op))`,
    );
    for (const table of tables) {
      if (!/^[A-Za-z0-9_]+$/.test(table)) throw new Error(`unsafe table name ${table}`);
      for (const op of ['INSERT', 'UPDATE', 'DELETE'])
        db.exec(
          `CREATE TRIGGER IF NOT EXISTS kit_count_${table}_${op.toLowerCase()} AFTER ${op} ON ${table} BEGIN ` +
            `INSERT INTO ${TALLY} (tbl, op, n) VALUES ('${table}', '${op.toLowerCase()}', 1) ` +
            `ON CONFLICT (tbl, op) DO UPDATE SET n = n + 1; END`,
        );
    }
  } finally {
    db.close();
  }
}

/** `table op` → writes so far. */
export function readWriteCounter(path: string): WriteTally {
  const db = open(path);
  try {
    const rows = db.prepare(`SELECT tbl, op, n FROM ${TALLY}`).all() as Array<{
      tbl: string;
      op: string;
      n: number;
    }>;
    return Object.fromEntries(rows.map((r) => [`${r.tbl} ${r.op}`, r.n]));
  } finally {
    db.close();
  }
}

/** Drops the triggers and the tally again. */
export function removeWriteCounter(path: string, tables: string[]): void {
  const db = open(path);
  try {
    for (const table of tables)
      for (const op of ['insert', 'update', 'delete'])
        db.exec(`DROP TRIGGER IF EXISTS kit_count_${table}_${op}`);
    db.exec(`DROP TABLE IF EXISTS ${TALLY}`);
  } finally {
    db.close();
  }
}
