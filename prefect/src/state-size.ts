import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateSize } from '@invoice/tools/launcher/topology';
import Database from 'better-sqlite3';

/** SUM of every column's length over the rows `where` selects (SQLite's LENGTH of each value). */
function rowsAndBytes(db: Database.Database, table: string, where: string, id: string) {
  const columns = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map(
    (c) => `COALESCE(LENGTH("${c.name}"), 0)`,
  );
  const row = db
    .prepare(`SELECT COUNT(*) AS n, SUM(${columns.join(' + ')}) AS bytes FROM "${table}" WHERE ${where}`)
    .get({ id }) as { n: number; bytes: number | null };
  return { rows: row.n, bytes: row.bytes ?? 0 };
}

/**
 * What one invoice left in Prefect: its rows in the server's SQLite database (the flow run, its
 * states, its task runs and their states, its logs, and the events about them) plus the
 * persisted task and flow results that mention it. events = database rows.
 */
export async function prefectStateSize(
  dbPath: string,
  resultsDir: string,
  invoiceId: string,
): Promise<StateSize> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let rows = 0;
  let bytes = 0;
  try {
    const run = db.prepare('SELECT id FROM flow_run WHERE name = ?').get(invoiceId) as
      | { id: string }
      | undefined;
    if (!run) throw new Error(`no flow run named ${invoiceId}`);
    const tasks = 'SELECT id FROM task_run WHERE flow_run_id = @id';
    for (const [table, where] of [
      ['flow_run', 'id = @id'],
      ['flow_run_state', 'flow_run_id = @id'],
      ['task_run', 'flow_run_id = @id'],
      ['task_run_state', `task_run_id IN (${tasks})`],
      ['log', 'flow_run_id = @id'],
      // Task-run events name their flow run among the related resources.
      ['events', "resource_id = 'prefect.flow-run.' || @id OR related_resource_ids LIKE '%' || @id || '%'"],
    ] as const) {
      const counted = rowsAndBytes(db, table, where, run.id);
      rows += counted.rows;
      bytes += counted.bytes;
    }
  } finally {
    db.close();
  }
  let resultBytes = 0;
  for (const name of await readdir(resultsDir).catch(() => [] as string[])) {
    const text = await readFile(join(resultsDir, name), 'utf8').catch(() => '');
    // A result record: JSON metadata + the value, pickled and base64-encoded by default.
    let record: { result?: string } = {};
    try {
      record = JSON.parse(text) as { result?: string };
    } catch {}
    const value = Buffer.from(record.result ?? '', 'base64');
    if (text.includes(invoiceId) || value.includes(invoiceId)) resultBytes += Buffer.byteLength(text);
  }
  return {
    bytes: bytes + resultBytes,
    events: rows,
    what: `Prefect SQLite rows of the flow run, its task runs, states, logs and events (events = rows; ${bytes} B) + persisted results (${resultBytes} B)`,
  };
}
