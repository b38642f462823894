import { parseArgs } from 'node:util';
import { benchAgainstReference } from './compare-bench';

// The reference pipeline's own end-to-end times (N = 1, 10, 50 at L = 0 and 500 ms by default).
const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1,10,50' },
    latencies: { type: 'string', default: '0,500' },
    runs: { type: 'string', default: '5' },
  },
});
await benchAgainstReference('reference', {
  pages: values.pages.split(',').map(Number),
  latencies: values.latencies.split(',').map(Number),
  runs: Number(values.runs),
});
