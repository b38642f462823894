import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureInvoiceCounts } from '../cost/counters';
import { costTable, type InvoiceCounts, type Prices, price, unitsPer1000 } from '../cost/units';
import { provenance, RESULTS_DIR, writeResult } from '../results';
import { parseSettings, withStack } from './common';

// `pnpm cost`: billing units per 1,000 invoices from measured counts, and money from your prices.
const { values } = parseArgs({
  options: {
    prices: { type: 'string' },
    measure: { type: 'string' },
    pages: { type: 'string', default: '10' },
    set: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.error(
    'usage: pnpm cost [--measure custom-engine,temporal,...] [--pages 10] [--set KEY=VALUE] [--prices prices.json]',
  );
  process.exit(0);
}

if (values.measure) {
  for (const stack of values.measure.split(',').filter(Boolean)) {
    const counts = await withStack(stack, parseSettings(values.set), (h) =>
      measureInvoiceCounts(h, Number(values.pages)),
    );
    await writeResult(`cost/${stack}.json`, { ...provenance(), counts });
  }
}

/** Counts written by `--measure` (docs/results/cost/) and by `pnpm compare` (`billing` in compare/). */
async function loadCounts(): Promise<InvoiceCounts[]> {
  const read = async (dir: string) => {
    const files = (await readdir(join(RESULTS_DIR, dir)).catch(() => [] as string[])).filter((f) =>
      f.endsWith('.json'),
    );
    return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(RESULTS_DIR, dir, f), 'utf8'))));
  };
  const fromCost = (await read('cost')).map((j) => j.counts as InvoiceCounts).filter(Boolean);
  const fromCompare = (await read('compare'))
    .map((j) => j.billing as InvoiceCounts | undefined)
    .filter((c) => !!c);
  // A fresh --measure wins over the count stored with the last compare run.
  const byStack = new Map<string, InvoiceCounts>();
  for (const c of [...(fromCompare as InvoiceCounts[]), ...fromCost]) byStack.set(`${c.stack}/${c.pages}`, c);
  return [...byStack.values()];
}

const counts = await loadCounts();
if (!counts.length) {
  console.error('no counts yet: run `pnpm cost --measure custom-engine` (or any stack) first');
  process.exit(1);
}
const prices = values.prices ? (JSON.parse(await readFile(values.prices, 'utf8')) as Prices) : undefined;
const lines = counts.flatMap(unitsPer1000);
console.log(costTable(prices ? price(lines, prices) : lines, prices));
