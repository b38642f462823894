import { describe, expect, it } from 'vitest';
import { type ProductionFile, productionSection } from './matrix-production';
import { DEFAULT_PRODUCTION } from './production-bench';
import { summarize } from './stats';

const base = {
  standIn: false,
  behaviours: { approval: 'a signal | and a timer', cancel: 'cancel' },
  orchestrationFile: 'temporal/src/workflows.ts',
  extractWorkers: ['worker-extract-1', 'worker-extract-2'],
  cancel: { pass: true, callsStartedAfter: 3 },
  approvalRestart: { pass: true, afterRestart: 'awaiting_approval' },
  options: DEFAULT_PRODUCTION,
};

describe('production section of the matrix', () => {
  it('is absent without results', () => {
    expect(productionSection([], (s) => s, {})).toEqual([]);
  });

  it('states a tie within noise when the worker intervals overlap, and fails plainly', () => {
    const files: ProductionFile[] = [
      {
        ...base,
        stack: 'temporal',
        twoWorkersKill: { pass: true, completedAfterKillMs: 4200, duplicates: 2, inFlightAtKill: 5 },
        throughput: {
          clients: 8,
          stepSeconds: 12,
          pages: 10,
          llm: 'lognormal 800 ms, C=32',
          rounds: [],
          oneWorker: summarize([1.1, 1.2, 1.3]),
          twoWorkers: summarize([1.2, 1.25, 1.4]),
          verdict: 'tie',
        },
      },
      { ...base, stack: 'reference', approvalRestart: { pass: false, afterRestart: 'lost' } },
      { stack: 'prefect', failed: 'server did not start' },
    ];
    const md = productionSection(files, (s) => s.toUpperCase(), { reference: 'nothing survives' }).join('\n');
    expect(md).toContain('| TEMPORAL | pass | 3 | pass | pass | 4200 | 2 (5) |');
    expect(md).toContain('tie within noise');
    // A pipe in a mechanism would break the table: escaped.
    expect(md).toContain('a signal \\| and a timer');
    expect(md).toContain('| REFERENCE | pass | 3 | **fail** (the run is gone) | n/a (one process) |');
    expect(md).toContain('PREFECT: the run could not complete: server did not start');
    expect(md).toContain('- **REFERENCE**: nothing survives');
  });
});
