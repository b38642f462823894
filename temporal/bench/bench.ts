/**
 * The Temporal stack against the reference pipeline (plain async code, no orchestrator), for
 * N = 1, 10, 50, 200 pages at mock-LLM latency L = 0 and 500 ms, using the shared harness
 * (tools/src/bench/compare-bench.ts). Then what runs leave in Temporal: history events and bytes,
 * the largest payload and per-activity dispatch latency, for N = 50 and 500. Writes
 * docs/results/temporal-bench.json. A script, not a test: it asserts nothing about time.
 *
 *   pnpm --filter @invoice/temporal bench [--pages 1,10,50,200] [--latencies 0,500] [--runs 3] [--history 50,500]
 */
import { parseArgs } from 'node:util';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import { benchAgainstReference } from '@invoice/tools/bench/compare-bench';
import { invoiceOf, printTable } from '@invoice/tools/bench/e2e';
import { readResult, writeResult } from '@invoice/tools/kit/results';
import { upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { Client, Connection } from '@temporalio/client';
import { measureHistory } from './history';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1,10,50,200' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '3' },
    history: { type: 'string', default: '50,500' },
  },
});
const numbers = (s: string) => s.split(',').filter(Boolean).map(Number);
// Headless: the web UI is not part of what is measured.
const settings = { headless: 'true' };

// Generate every invoice before any connection is open: generating 200 pages blocks the event
// loop long enough for an idle keep-alive socket to be closed by the server unnoticed, and the
// next POST then fails with "other side closed".
for (const pages of numbers(values.pages)) await invoiceOf(pages);

const bench = await benchAgainstReference('temporal', {
  pages: numbers(values.pages),
  latencies: numbers(values.latencies),
  runs: Number(values.runs),
  settings,
});

const history = [];
if (values.history) {
  const stack = await upStack('temporal', { settings });
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  try {
    await mockLlm.neutral(stack.llmUrl);
    const client = new Client({ connection });
    const blobs = blobStoreFromEnv(stack.env);
    for (const pages of numbers(values.history)) {
      console.error(`[bench] temporal history: N=${pages}`);
      history.push(await measureHistory(client, blobs, pages));
    }
  } finally {
    await connection.close();
    await stack.down();
  }
  console.log('\ntemporal: what one run leaves in history (L = 0)');
  printTable(
    history.map((h) => ({
      pages: h.pages,
      events: h.historyEvents,
      historyKiB: Math.round((h.historyBytes ?? 0) / 102.4) / 10,
      largestPayloadKiB: Math.round(h.largestPayload.bytes / 102.4) / 10,
      largestPayload: h.largestPayload.event,
      extractScheduleToStartMs: h.scheduleToStartMedianMs.extract,
      fanOutDispatchMs: h.fanOutDispatchMs,
    })),
  );
}

// compare-bench wrote the file; add what only Temporal can tell.
const json = (await readResult<Record<string, unknown>>('temporal-bench.json')) ?? {};
const single = bench.rows.find((r) => r.pages === 1 && r.latencyMs === 0)?.measured;
json.perActivityOverheadMs = single
  ? {
      // At N = 1, L = 0 the run is three activities in a row; what the stack adds around them, per activity.
      fromOrchestrationAtN1: Math.round((single.orchestration.median / 3) * 10) / 10,
      // and per extra page at L = 0 (slope between the smallest and largest N)
      ...perPageSlope(bench.rows),
    }
  : undefined;
json.history = history;
await writeResult('temporal-bench.json', json);

function perPageSlope(rows: Array<{ pages: number; latencyMs: number; overheadMs: number }>) {
  const atZero = rows.filter((r) => r.latencyMs === 0).sort((a, b) => a.pages - b.pages);
  const [first, last] = [atZero[0], atZero.at(-1)];
  if (!first || !last || first.pages === last.pages) return {};
  return {
    perExtraPageAtL0:
      Math.round(((last.overheadMs - first.overheadMs) / (last.pages - first.pages)) * 10) / 10,
  };
}
