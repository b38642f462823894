import { parseArgs } from 'node:util';
import { printTable } from '../../bench/e2e';
import { upStack } from '../../launcher/launcher';
import { capSettings } from '../bench-settings';
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
const target = await upStack(stack, {
  settings: { ...capSettings(stack), ...parseSettings(values.set) },
  verbose: true,
});
// T_ideal on the same kind of blob store as the stack (local folder or Azurite).
const reference =
  stack === 'reference'
    ? target
    : await upStack('reference', {
        settings: { BLOB_STORE: target.env.BLOB_STORE ?? 'local' },
        verbose: true,
      });
try {
  const { rows, raw } = await sweep({ name: stack, ...target }, { name: 'reference', ...reference }, options);
  printTable(rows.map(printableRow));
  await writeResult(`fanout-${stack}.json`, { stack, ...provenance(), options, rows, raw });
} finally {
  if (target !== reference) await target.down();
  await reference.down();
}
