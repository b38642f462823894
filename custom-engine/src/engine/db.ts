import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The small SQL surface the store is written against, so that the engine's state machine is
 * written once and runs on SQLite (embedded default) and PostgreSQL (many workers) alike.
 * SQL uses `?` placeholders; the PostgreSQL adapter numbers them.
 */
export interface SqlExec {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

export interface Tx extends SqlExec {
  /** Wakes listeners on `channel` in other processes once (and only if) this transaction commits. */
  notify(channel: string, payload: string): Promise<void>;
}

export interface Db extends SqlExec {
  readonly dialect: 'sqlite' | 'postgres';
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Cross-process wake-ups. SQLite has none (callers poll); PostgreSQL uses LISTEN/NOTIFY. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** One connection, WAL. better-sqlite3 is synchronous, so a promise queue keeps transactions whole. */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private statements = new Map<string, Database.Statement>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a process crash (what we promise), but not an OS
    // crash or power cut; FULL would fsync every step and cost ~10x per step.
    this.db.pragma(`synchronous = ${process.env.CE_SQLITE_SYNCHRONOUS ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
  }

  private stmt(sql: string) {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private direct: Tx = {
    all: async <T>(sql: string, params: unknown[] = []) => this.stmt(sql).all(...params) as T[],
    get: async <T>(sql: string, params: unknown[] = []) => this.stmt(sql).get(...params) as T | undefined,
    run: async (sql: string, params: unknown[] = []) => {
      const s = this.stmt(sql);
      if (s.reader) return s.all(...params).length;
      return s.run(...params).changes;
    },
    notify: async () => {},
  };

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  all<T>(sql: string, params?: unknown[]) {
    return this.serial(() => this.direct.all<T>(sql, params));
  }
  get<T>(sql: string, params?: unknown[]) {
    return this.serial(() => this.direct.get<T>(sql, params));
  }
  run(sql: string, params?: unknown[]) {
    return this.serial(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read.
      this.stmt('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(this.direct);
        this.stmt('COMMIT').run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.stmt('ROLLBACK').run();
        throw error;
      }
    });
  }

  async listen(): Promise<() => Promise<void>> {
    return async () => {};
  }

  async exec(script: string) {
    await this.serial(async () => this.db.exec(script));
  }

  async close() {
    await this.tail;
    this.db.close();
  }
}

// BIGINT (epoch ms, counts) as JS numbers: every value we store fits in 2^53.
const types = {
  getTypeParser: (oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
};

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private texts = new Map<string, { text: string; name: string }>();

  constructor(connectionString: string, poolSize = 10) {
    this.pool = new pg.Pool({ connectionString, max: poolSize, types });
    // An idle client losing its connection must not crash the worker; the next query reconnects.
    this.pool.on('error', () => {});
  }

  private query(sql: string) {
    let q = this.texts.get(sql);
    if (!q) {
      let i = 0;
      // Named statements are prepared once per connection and reused: less parsing per step.
      q = { text: sql.replace(/\?/g, () => `$${++i}`), name: `ce${this.texts.size}` };
      this.texts.set(sql, q);
    }
    return q;
  }

  private on(client: pg.Pool | pg.PoolClient): Tx {
    return {
      all: async <T>(sql: string, params: unknown[] = []) =>
        (await client.query({ ...this.query(sql), values: params })).rows as T[],
      get: async <T>(sql: string, params: unknown[] = []) =>
        (await client.query({ ...this.query(sql), values: params })).rows[0] as T | undefined,
      run: async (sql: string, params: unknown[] = []) =>
        (await client.query({ ...this.query(sql), values: params })).rowCount ?? 0,
      notify: async (channel: string, payload: string) => {
        await client.query({ ...this.query('SELECT pg_notify(?, ?)'), values: [channel, payload] });
      },
    };
  }

  all<T>(sql: string, params?: unknown[]) {
    return this.on(this.pool).all<T>(sql, params);
  }
  get<T>(sql: string, params?: unknown[]) {
    return this.on(this.pool).get<T>(sql, params);
  }
  run(sql: string, params?: unknown[]) {
    return this.on(this.pool).run(sql, params);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(this.on(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async listen(channel: string, onMessage: (payload: string) => void) {
    const client = await this.pool.connect();
    client.on('notification', (msg) => {
      if (msg.channel === channel) onMessage(msg.payload ?? '');
    });
    await client.query(`LISTEN ${channel}`);
    return async () => {
      await client.query(`UNLISTEN ${channel}`).catch(() => {});
      client.release();
    };
  }

  async exec(script: string) {
    await this.pool.query(script);
  }

  async close() {
    await this.pool.end();
  }
}
