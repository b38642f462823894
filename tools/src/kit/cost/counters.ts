/**
 * Counts one invoice's billing units on a running stack: it runs one invoice of N pages (the
 * stack should be otherwise idle) and reads what the engine recorded for it.
 *
 * - Temporal: the workflow's history from the server (temporal/bench/billing.ts).
 * - Durable Functions: the test host's history log of the instance.
 * - Dapr (state.sqlite) and the custom engine (SQLite): row writes, counted by triggers
 *   installed for the run (write-counter.ts). Redis and PostgreSQL variants are not counted.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { timeInvoice } from '../../bench/e2e';
import type { StackHandle } from '../../launcher/launcher';
import { REPO_ROOT } from '../../launcher/registry';
import { durableFunctionsCounts, type TemporalEvent, temporalActions, writesBetween } from './counts';
import type { InvoiceCounts } from './units';
import { installWriteCounter, readWriteCounter, removeWriteCounter } from './write-counter';

type SqliteTarget = { path: string; tables: string[]; store: string };

/** Where a stack keeps the SQLite rows we count, if it does. */
export function sqliteTarget(
  handle: Pick<StackHandle, 'stack' | 'env' | 'runDir'>,
): SqliteTarget | undefined {
  if (handle.stack === 'custom-engine' && handle.env.CE_SQLITE_PATH)
    return {
      path: handle.env.CE_SQLITE_PATH,
      tables: ['ce_workflows', 'ce_executions', 'ce_steps', 'ce_attempts', 'ce_outbox'],
      store: "the custom engine's SQLite file",
    };
  const dapr = join(handle.runDir, 'dapr-data', 'workflow-state.db');
  // With --set state=redis there is no state.sqlite to count.
  if (handle.stack === 'dapr' && existsSync(dapr))
    return {
      path: dapr,
      tables: ['state'],
      store: "Dapr's state.sqlite (the scheduler's reminder writes to its etcd are not counted)",
    };
  return undefined;
}

async function temporalCounts(handle: StackHandle, invoiceId: string) {
  const address = handle.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('the temporal stack shares no TEMPORAL_ADDRESS');
  // Loaded by path so the Temporal client stays a dependency of the temporal package only.
  const billing = (await import(join(REPO_ROOT, 'temporal/bench/billing.ts'))) as {
    workflowHistory(address: string, id: string): Promise<{ events: TemporalEvent[]; historyBytes: number }>;
  };
  const { events, historyBytes } = await billing.workflowHistory(address, invoiceId);
  return { ...temporalActions(events), historyBytes };
}

async function durableFunctionsLog(runDir: string, invoiceId: string) {
  const text = await readFile(join(runDir, 'durable-history', `${invoiceId}.jsonl`), 'utf8');
  const lines = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { kind: string; event?: { EventType?: number } });
  return durableFunctionsCounts(lines);
}

/**
 * The tally once writes have stopped: an engine may still write after the API answered (the
 * custom engine's outbox delivery, a sidecar's last save), so read until two reads agree.
 */
async function settledTally(path: string) {
  let last = readWriteCounter(path);
  for (let i = 0; i < 25; i++) {
    await sleep(200);
    const now = readWriteCounter(path);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

/** Runs one invoice of `pages` pages on the stack and counts what it cost in billing units. */
export async function measureInvoiceCounts(handle: StackHandle, pages: number): Promise<InvoiceCounts> {
  const sqlite = sqliteTarget(handle);
  if (sqlite) installWriteCounter(sqlite.path, sqlite.tables);
  try {
    const before = sqlite ? readWriteCounter(sqlite.path) : {};
    const run = await timeInvoice(handle.apiUrl, pages);
    if (!run.ok)
      throw new Error(
        `${handle.stack}: the ${pages}-page invoice did not complete correctly (${run.status})`,
      );
    const counts: InvoiceCounts = { stack: handle.stack, pages, measuredAt: new Date().toISOString() };
    if (sqlite) {
      const { total, byTable } = writesBetween(before, await settledTally(sqlite.path));
      counts.stateStore = { store: sqlite.store, writes: total, byTable };
    }
    if (handle.stack === 'temporal') counts.temporal = await temporalCounts(handle, run.body.id);
    if (handle.stack === 'azure-durable-functions')
      counts.durableFunctions = await durableFunctionsLog(handle.runDir, run.body.id);
    return counts;
  } finally {
    if (sqlite) removeWriteCounter(sqlite.path, sqlite.tables);
  }
}
