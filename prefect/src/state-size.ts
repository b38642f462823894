import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { postgresBinDir } from '@invoice/tools/engines/postgres';
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

/** The tables that hold one flow run's rows, each with the WHERE that picks them for flow run @id. */
const RUN_TABLES = [
  ['flow_run', 'id = @id'],
  ['flow_run_state', 'flow_run_id = @id'],
  ['task_run', 'flow_run_id = @id'],
  ['task_run_state', 'task_run_id IN (SELECT id FROM task_run WHERE flow_run_id = @id)'],
  ['log', 'flow_run_id = @id'],
  // Task-run events name their flow run among the related resources.
  ['events', "resource_id = 'prefect.flow-run.' || @id OR related_resource_ids LIKE '%' || @id || '%'"],
] as const;

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
    for (const [table, where] of RUN_TABLES) {
      const counted = rowsAndBytes(db, table, where, run.id);
      rows += counted.rows;
      bytes += counted.bytes;
    }
  } finally {
    db.close();
  }
  const resultBytes = await resultBytesOf(resultsDir, invoiceId);
  return {
    bytes: bytes + resultBytes,
    events: rows,
    what: `Prefect SQLite rows of the flow run, its task runs, states, logs and events (events = rows; ${bytes} B) + persisted results (${resultBytes} B)`,
  };
}

/**
 * The same on the PostgreSQL variant, read with psql (the Debian client beside the server):
 * bytes = each row's text form (`octet_length(t::text)`), events = rows.
 */
export async function prefectPostgresStateSize(
  databaseUrl: string,
  resultsDir: string,
  invoiceId: string,
): Promise<StateSize> {
  const [run] = psqlRows(databaseUrl, `SELECT id FROM flow_run WHERE name = ${sqlText(invoiceId)}`);
  if (!run) throw new Error(`no flow run named ${invoiceId}`);
  let rows = 0;
  let bytes = 0;
  for (const [table, where] of RUN_TABLES) {
    const sql = `SELECT COUNT(*), COALESCE(SUM(octet_length(t::text)), 0) FROM "${table}" t WHERE ${where.replace(/related_resource_ids/, 'related_resource_ids::text').replaceAll('@id', sqlText(run[0]!))}`;
    const [n, b] = psqlRows(databaseUrl, sql)[0]!;
    rows += Number(n);
    bytes += Number(b);
  }
  const resultBytes = await resultBytesOf(resultsDir, invoiceId);
  return {
    bytes: bytes + resultBytes,
    events: rows,
    what: `Prefect PostgreSQL rows of the flow run, its task runs, states, logs and events (events = rows; ${bytes} B as row text) + persisted results (${resultBytes} B)`,
  };
}

const sqlText = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The rows psql prints for one query (unaligned, tab-separated) on a `postgresql+asyncpg://` URL. */
export function psqlRows(databaseUrl: string, sql: string): string[][] {
  const { hostname, port, username, pathname } = new URL(
    databaseUrl.replace(/^postgresql\+asyncpg:/, 'postgres:'),
  );
  const out = execFileSync(
    join(postgresBinDir(), 'psql'),
    [
      '-h',
      hostname,
      '-p',
      port,
      '-U',
      username,
      '-d',
      pathname.slice(1) || 'postgres',
      '-At',
      '-F',
      '\t',
      '-c',
      sql,
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
}

/** The persisted task and flow results that mention the invoice. */
async function resultBytesOf(resultsDir: string, invoiceId: string): Promise<number> {
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
  return resultBytes;
}
