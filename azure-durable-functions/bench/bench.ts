/**
 * Fan-out benchmark of the Durable Functions stack — SDK replay on the test host, not the
 * Functions host. The orchestrator is replayed by the durable-functions SDK's own executor inside
 * the replay test host (test-host/main.ts); Azure Storage queue polling, partitions and the
 * extension's own overhead are NOT in these numbers. Same grid as the other stacks: N pages at
 * LLM latency L, each against the no-orchestrator reference pipeline for T_ideal.
 *
 *   pnpm --filter @invoice/azure-durable-functions bench [--n 1,10,50,200] [--l 0,500] [--repeat 1]
 *
 * Prints a table and writes docs/results/azure-durable-functions-bench.json. Not a test: it
 * asserts nothing about time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StatusBody } from '@invoice/shared/contract/types';
import { generateInvoicePdf } from '@invoice/shared/samples/generate';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { REPO_ROOT } from '@invoice/tools/launcher/registry';
import { mockLlm } from '@invoice/tools/mock-llm/remote';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1,10,50,200' },
    l: { type: 'string', default: '0,500' },
    repeat: { type: 'string', default: '1' },
  },
});
const Ns = values.n.split(',').map(Number);
const Ls = values.l.split(',').map(Number);
const repeat = Number(values.repeat);

type Row = {
  stack: string;
  pages: number;
  latencyMs: number;
  wallMs: number;
  timings: StatusBody['timings'];
  llmMaxInFlight: number;
  llmCalls: number;
};

async function runOne(
  stack: StackHandle,
  name: string,
  pdf: Uint8Array,
  pages: number,
  latencyMs: number,
): Promise<Row> {
  await mockLlm.neutral(stack.llmUrl);
  await mockLlm.configure(stack.llmUrl, { latency: { kind: 'fixed', ms: latencyMs } });
  let started = performance.now();
  const post = () =>
    fetch(`${stack.apiUrl}/api/invoices?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: Buffer.from(pdf),
    });
  // A pooled keep-alive socket closed by the server just as it is reused fails the POST before
  // anything is processed; seen once here. Retry that once, say so, and time the retry alone.
  const response = await post().catch(async (error: Error & { cause?: { code?: string } }) => {
    if (error.cause?.code !== 'UND_ERR_SOCKET') throw error;
    console.error(`${name} N=${pages} L=${latencyMs}: ${error.message} (${error.cause.code}); retrying once`);
    await mockLlm.reset(stack.llmUrl);
    started = performance.now();
    return post();
  });
  const wallMs = Math.round(performance.now() - started);
  const body = (await response.json()) as StatusBody;
  if (response.status !== 200)
    throw new Error(`${name} N=${pages}: HTTP ${response.status} ${JSON.stringify(body)}`);
  const metrics = await mockLlm.metrics(stack.llmUrl);
  return {
    stack: name,
    pages,
    latencyMs,
    wallMs,
    timings: body.timings,
    llmMaxInFlight: metrics.maxInFlight,
    llmCalls: metrics.totalCalls,
  };
}

const pdfs = new Map<number, Uint8Array>();
for (const n of Ns) pdfs.set(n, (await generateInvoicePdf({ seed: 9000 + n, pages: n })).pdf);

const rows: Row[] = [];
for (const stackName of ['reference', 'azure-durable-functions']) {
  const stack = await upStack(stackName);
  try {
    for (const latency of Ls) {
      for (const n of Ns) {
        for (let i = 0; i < repeat; i++) {
          const row = await runOne(stack, stackName, pdfs.get(n)!, n, latency);
          rows.push(row);
          console.error(
            `${stackName} N=${n} L=${latency}: ${row.wallMs} ms (orchestration ${row.timings?.orchestrationMs} ms)`,
          );
        }
      }
    }
  } finally {
    await stack.down();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const grid = Ls.flatMap((latencyMs) =>
  Ns.map((pages) => {
    const of = (stack: string) =>
      rows.filter((r) => r.stack === stack && r.pages === pages && r.latencyMs === latencyMs);
    const df = of('azure-durable-functions');
    const ref = of('reference');
    const dfTotal = median(df.map((r) => r.timings!.totalMs));
    const refTotal = median(ref.map((r) => r.timings!.totalMs));
    return {
      pages,
      latencyMs,
      totalMs: dfTotal,
      referenceTotalMs: refTotal,
      overheadMs: dfTotal - refTotal,
      orchestrationMs: median(df.map((r) => r.timings!.orchestrationMs)),
      splitMs: median(df.map((r) => r.timings!.splitMs)),
      extractMs: median(df.map((r) => r.timings!.extractMs)),
      referenceExtractMs: median(ref.map((r) => r.timings!.extractMs)),
      llmMaxInFlight: Math.max(...df.map((r) => r.llmMaxInFlight)),
    };
  }),
);

console.log('\nazure-durable-functions — SDK replay on the test host, not the Functions host');
console.log('(reference: in-process pipeline on local-disk blobs; this stack: blobs on Azurite)');
console.log(
  '   N     L  total ms  reference ms  overhead ms  split ms  extract ms  ref extract ms  orchestration ms  max in-flight',
);
for (const g of grid) {
  console.log(
    `${String(g.pages).padStart(4)} ${String(g.latencyMs).padStart(5)} ${String(g.totalMs).padStart(9)} ${String(g.referenceTotalMs).padStart(13)} ${String(g.overheadMs).padStart(12)} ${String(g.splitMs).padStart(9)} ${String(g.extractMs).padStart(11)} ${String(g.referenceExtractMs).padStart(15)} ${String(g.orchestrationMs).padStart(17)} ${String(g.llmMaxInFlight).padStart(14)}`,
  );
}

const out = join(REPO_ROOT, 'docs/results/azure-durable-functions-bench.json');
await mkdir(join(REPO_ROOT, 'docs/results'), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify(
    {
      stack: 'azure-durable-functions',
      label: 'SDK replay on the test host, not the Functions host',
      host: 'azure-durable-functions/test-host (durable-functions SDK replay executor); blobs on Azurite',
      measuredAt: new Date().toISOString(),
      node: process.version,
      repeat,
      grid,
      runs: rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${out}`);
