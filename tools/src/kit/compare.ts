import { parseArgs } from 'node:util';
import { timeInvoice } from '../bench/e2e';
import { upStack } from '../launcher/launcher';
import { invoiceStacks } from '../launcher/registry';
import { runChaos } from './chaos';
import { sweep } from './fanout';
import { measureKitOverhead, runLoadTest } from './load-test';
import { linesOfCode } from './loc';
import { writeMatrix } from './matrix';
import { peakResourcesDuring, sampleResources } from './resources';
import { provenance, writeResult } from './results';

// `pnpm compare`: every stack in turn, the three tools at a sized-down default, then the matrix.
const { values } = parseArgs({
  options: {
    stacks: { type: 'string' },
    pages: { type: 'string', default: '1,10,50,200' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '2' },
    'load-amount': { type: 'string', default: '12' },
    'load-connections': { type: 'string', default: '4' },
    'chaos-pages': { type: 'string', default: '20' },
    'chaos-invoices': { type: 'string', default: '100' },
    'state-pages': { type: 'string', default: '50,500' },
    'matrix-only': { type: 'boolean', default: false },
  },
});
const list = (s: string) => s.split(',').filter(Boolean).map(Number);
const began = Date.now();
const elapsed = () => `${Math.round((Date.now() - began) / 1000)} s`;
const say = (line: string) => console.error(`[compare ${elapsed()}] ${line}`);

if (!values['matrix-only']) {
  const stacks = values.stacks ? values.stacks.split(',') : invoiceStacks();
  say(`stacks: ${stacks.join(', ')}`);
  // T_ideal runs on the same kind of blob store as the stack it is compared with.
  const references = new Map<string, Awaited<ReturnType<typeof upStack>>>();
  const referenceFor = async (blobStore = 'local') => {
    if (!references.has(blobStore))
      references.set(blobStore, await upStack('reference', { settings: { BLOB_STORE: blobStore } }));
    return references.get(blobStore)!;
  };
  const reference = await referenceFor('local');
  try {
    say('kit overhead: autocannon + golden check against an in-process no-op handler');
    await writeResult('compare/kit-overhead.json', {
      ...provenance(),
      ...(await measureKitOverhead('invoice-3p', 4)),
    });
    for (const stack of stacks) {
      say(`${stack}: up`);
      const handle = stack === 'reference' ? reference : await upStack(stack, { verbose: false });
      const target = { name: stack, apiUrl: handle.apiUrl, llmUrl: handle.llmUrl };
      try {
        await timeInvoice(handle.apiUrl, 1); // warm the stack before sampling idle memory
        const idle = await sampleResources(handle);
        say(
          `${stack}: load test (${values['load-amount']} invoices, ${values['load-connections']} connections)`,
        );
        const load = await peakResourcesDuring(
          handle,
          runLoadTest(target, {
            connections: Number(values['load-connections']),
            amount: Number(values['load-amount']),
            durationS: 0,
            sample: 'invoice-3p',
            llm: { latency: { kind: 'fixed', ms: 100 } },
            progress: false,
          }),
        );
        say(`${stack}: fan-out sweep`);
        const fanout = await sweep(
          target,
          { name: 'reference', apiUrl: reference.apiUrl, llmUrl: reference.llmUrl },
          {
            pages: list(values.pages),
            latencies: list(values.latencies),
            runs: Number(values.runs),
          },
        );
        say(`${stack}: state size`);
        const state = [];
        for (const pages of list(values['state-pages'])) {
          const run = await timeInvoice(handle.apiUrl, pages);
          const size =
            run.ok && handle.topology.stateSize ? await handle.topology.stateSize(run.body.id) : undefined;
          state.push({ pages, ok: run.ok, ...size });
        }
        say(`${stack}: chaos`);
        // A stack that chaos wedges still keeps the numbers measured before it.
        const chaos = await runChaos(handle, {
          pages: Number(values['chaos-pages']),
          latencyMs: 300,
          timeoutMs: 90_000,
          invoices: Number(values['chaos-invoices']),
          concurrentPages: 3,
          rate500: 0.1,
          rate429: 0.05,
        }).catch((error: Error) => ({ failed: error.message, kills: [], concurrent: undefined }));
        await writeResult(`compare/${stack}.json`, {
          stack,
          ...provenance(),
          description: handle.topology.description,
          processes: handle.processes.map((p) => ({ name: p.name, kind: p.kind, killable: !!p.killable })),
          resources: { idle, underLoad: load.peak },
          load: load.result,
          fanout,
          state,
          chaos,
          loc: await linesOfCode(stack),
        });
      } catch (error) {
        say(`${stack}: FAILED ${(error as Error).stack}`);
        await writeResult(`compare/${stack}.json`, {
          stack,
          ...provenance(),
          failed: (error as Error).message,
        });
      } finally {
        if (handle !== reference) await handle.down();
      }
    }
  } finally {
    for (const r of references.values()) await r.down();
  }
  await writeResult('compare/run.json', {
    ...provenance(),
    stacks,
    wallSeconds: Math.round((Date.now() - began) / 1000),
    options: values,
  });
}
const file = await writeMatrix();
say(`matrix written to ${file}`);
