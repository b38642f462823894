import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { PostgresDb, SqliteDb } from './db';
import { SqlStore } from './store';
import type { AttemptRecord } from './types';

/** Test helpers: a fresh store per test (SQLite file or PostgreSQL database), and a condition wait. */

export type StoreFactory = {
  name: 'sqlite' | 'postgres';
  make(): Promise<SqlStore>;
  cleanup(): Promise<void>;
};

export function sqliteStores(): StoreFactory {
  const dir = mkdtempSync(join(tmpdir(), 'ce-sqlite-'));
  let n = 0;
  return {
    name: 'sqlite',
    async make() {
      const store = new SqlStore(new SqliteDb(join(dir, `t${++n}.db`)));
      await store.init();
      return store;
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One database per test on one server, so tests never see each other's due steps. */
export function postgresStores(serverUrl: () => string): StoreFactory {
  let n = 0;
  return {
    name: 'postgres',
    async make() {
      const db = `ce_t${process.pid}_${++n}`;
      const admin = new pg.Client({ connectionString: serverUrl() });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.end();
      const url = new URL(serverUrl());
      url.pathname = `/${db}`;
      const store = new SqlStore(new PostgresDb(url.toString()));
      await store.init();
      return store;
    },
    async cleanup() {},
  };
}

export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Resolves once `check` returns a truthy value; fails after `timeoutMs` (a bound, not an assertion on time). */
export async function until<T>(
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every (execution, step) has attempts 1..n, each claimed once, none overlapping the previous. */
export function expectNoDoubleClaims(attempts: AttemptRecord[]) {
  const byStep = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    const key = `${a.executionId}/${a.stepKey}`;
    byStep.set(key, [...(byStep.get(key) ?? []), a]);
  }
  for (const [key, list] of byStep) {
    expect(
      list.map((a) => a.attempt),
      key,
    ).toEqual(list.map((_, i) => i + 1));
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1] as AttemptRecord;
      expect(prev.finishedAt, `${key} attempt ${prev.attempt} ended before the next claim`).toBeDefined();
      expect(prev.finishedAt as number).toBeLessThanOrEqual((list[i] as AttemptRecord).claimedAt);
    }
  }
}
