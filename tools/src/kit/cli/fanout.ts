import { parseArgs } from 'node:util';
import { printTable } from '../../bench/e2e';
import { upStack } from '../../launcher/launcher';
import { printableRow, sweep } from '../fanout';
import { provenance, writeResult } from '../results';
import { parseSettings } from './common';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pages: { type: 'string', default: '1,10,50,100,200,500' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '5' },
    set: { type: 'string', multiple: true },
  },
});
const stack = positionals[0];
if (!stack) {
  console.error('usage: pnpm fanout <stack> [--pages 1,10,50,100,200,500] [--latencies 0,500] [--runs 5]');
  process.exit(2);
}
const options = {
  pages: values.pages.split(',').map(Number),
  latencies: values.latencies.split(',').map(Number),
  runs: Number(values.runs),
};
const reference = await upStack('reference', { verbose: true });
const target =
  stack === 'reference'
    ? reference
    : await upStack(stack, { settings: parseSettings(values.set), verbose: true });
try {
  const { rows, raw } = await sweep({ name: stack, ...target }, { name: 'reference', ...reference }, options);
  printTable(rows.map(printableRow));
  await writeResult(`fanout-${stack}.json`, { stack, ...provenance(), options, rows, raw });
} finally {
  if (target !== reference) await target.down();
  await reference.down();
}
