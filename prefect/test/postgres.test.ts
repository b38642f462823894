/**
 * The Prefect stack with its server on PostgreSQL (`--set variant=postgres`; Debian binaries
 * started by tools/src/engines/postgres.ts): one invoice golden with its flow run stored in
 * PostgreSQL, and a SIGKILL + restart of PostgreSQL mid fan-out. One stack for the file.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { psqlRows } from '../src/state-size';
import {
  expectGolden,
  type PrefectStack,
  sample,
  startPrefect,
  submit,
  until,
  untilInFlight,
} from './helpers';

let stack: PrefectStack;
let databaseUrl: string;
beforeAll(async () => {
  stack = await startPrefect({ variant: 'postgres' });
  databaseUrl =
    stack.handle.processes.find((p) => p.name === 'prefect-server')?.env
      ?.PREFECT_SERVER_DATABASE_CONNECTION_URL ?? '';
});
afterAll(async () => {
  await stack?.handle.down();
});
beforeEach(async () => {
  await mockLlm.neutral(stack.handle.llmUrl);
});

/** The flow run's row in the server's own flow_run table. */
function storedFlowRun(invoiceId: string): { state: string; runCount: number } | undefined {
  const [row] = psqlRows(
    databaseUrl,
    `SELECT state_type, run_count FROM flow_run WHERE name = '${invoiceId}'`,
  );
  return row && { state: row[0]!, runCount: Number(row[1]) };
}

describe('prefect on PostgreSQL', () => {
  it('one invoice ends golden, and its flow run is a row of PostgreSQL (no SQLite file)', {
    timeout: 120_000,
  }, async () => {
    expect(databaseUrl).toMatch(/^postgresql\+asyncpg:\/\//);
    const s = sample(3);
    const id = await submit(stack.handle.apiUrl, s);
    await expectGolden(await until(stack.handle.apiUrl, id, 90_000), s);
    expect(storedFlowRun(id)).toEqual({ state: 'COMPLETED', runCount: 1 });
    expect(existsSync(join(stack.handle.runDir, 'prefect.db'))).toBe(false);
    // compare's state step reads the same rows. At least the flow run and its 4 states
    // (Scheduled, Pending, Running, Completed); task states arrive as events, maybe later.
    const size = await stack.handle.topology.stateSize!(id);
    console.log(
      `[prefect postgres] state of a 3-page invoice: ${size.events} rows, ${size.bytes} B (${size.what})`,
    );
    expect(size.events).toBeGreaterThanOrEqual(1 + 4);
  });

  it('SIGKILL of PostgreSQL mid fan-out, then a restart: the invoice still ends golden', {
    timeout: 240_000,
  }, async () => {
    const { handle } = stack;
    // Pages finish at different times, so the kill lands with some tasks done and some in flight.
    await mockLlm.configure(handle.llmUrl, { latency: { kind: 'uniform', minMs: 500, maxMs: 6_000 } });
    const s = sample(10);
    const id = await submit(handle.apiUrl, s);
    await untilInFlight(handle.llmUrl, 1);
    const killed = handle.pid('postgres');
    await handle.kill('postgres', 'SIGKILL');
    await handle.restart('postgres');
    expect(handle.pid('postgres')).not.toBe(killed);
    await expectGolden(await until(handle.apiUrl, id, 200_000), s);
    const metrics = await mockLlm.metrics(handle.llmUrl);
    const stored = storedFlowRun(id);
    // What the server saw of the kill (asyncpg's errors in its log), printed beside the duplicates.
    const serverLog = await readFile(handle.logPath('prefect-server'), 'utf8');
    const dbErrors =
      serverLog.match(/unexpected postmaster exit|ConnectionRefusedError|CannotConnectNowError/g)?.length ??
      0;
    console.log(
      `[prefect postgres: SIGKILL postgres] LLM calls ${metrics.totalCalls} for 10 pages; duplicate successes ${metrics.duplicateSuccesses}; flow run_count ${stored?.runCount}; database errors in the server log ${dbErrors}`,
    );
    expect(metrics.pages).toBe(10);
    expect(stored?.state).toBe('COMPLETED');
  });
});
