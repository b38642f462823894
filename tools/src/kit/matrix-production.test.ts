import { describe, expect, it } from 'vitest';
import { type ProductionFile, productionSection, workersVerdict } from './matrix-production';
import { costliestKill, DEFAULT_PRODUCTION } from './production-bench';
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
    expect(md).toContain('| TEMPORAL | pass | 3 | pass | pass | 4200 (?) | 2 (-) |');
    expect(md).toContain('tie within noise');
    // A pipe in a mechanism would break the table: escaped.
    expect(md).toContain('a signal \\| and a timer');
    expect(md).toContain('| REFERENCE | pass | 3 | **fail** (the run is gone) | n/a (one process) |');
    expect(md).toContain('PREFECT: the run could not complete: server did not start');
    expect(md).toContain('- **REFERENCE**: nothing survives');
    // Rounds without completedPerSec counted completions; the rate's method is said either way.
    expect(md).toContain('the invoices completed inside the window');
    // A kill recorded before pagesCalledByKill existed read in-flight before the SIGKILL: said.
    expect(md).toContain('just before the SIGKILL');
    const current = files.map((f) =>
      'twoWorkersKill' in f && f.twoWorkersKill
        ? { ...f, twoWorkersKill: { ...f.twoWorkersKill, pagesCalledByKill: 5 } }
        : f,
    );
    const currentMd = productionSection(current, (x) => x, {}).join('\n');
    expect(currentMd).not.toContain('just before the SIGKILL');
    expect(currentMd).toContain('| temporal | pass | 3 | pass | pass | 4200 (?) | 2 (5) |');
    const overlap = files.map((f) =>
      'throughput' in f && f.throughput
        ? {
            ...f,
            throughput: {
              ...f.throughput,
              rounds: [{ workers: 1 as const, perSec: 1, completedPerSec: 0, p50Ms: 1, p99Ms: 1, errors: 0 }],
            },
          }
        : f,
    );
    expect(productionSection(overlap, (x) => x, {}).join('\n')).toContain('Little’s law');
  });

  it('states a worker ranking only where both runs hold it', () => {
    const apart = { oneWorker: summarize([1.0, 1.05, 1.1]), twoWorkers: summarize([1.5, 1.55, 1.6]) };
    const overlapping = { oneWorker: summarize([1.2, 1.3, 1.5]), twoWorkers: summarize([1.3, 1.4, 1.55]) };
    expect(workersVerdict(apart)).toBe('two workers higher (one run)');
    expect(workersVerdict(apart, apart)).toBe('two workers higher (both runs)');
    expect(workersVerdict(apart, overlapping)).toBe('tie within noise');
  });
});

describe('the costlier of the two worker kills', () => {
  it('is a failed one first, else the slower one', () => {
    const fast = { pass: true, completedAfterKillMs: 400, killed: 'w1' };
    const slow = { pass: true, completedAfterKillMs: 9000, killed: 'w2' };
    const failed = { pass: false, error: 'timeout', killed: 'w1' };
    expect(costliestKill([fast, slow])?.killed).toBe('w2');
    expect(costliestKill([slow, failed])?.pass).toBe(false);
    expect(costliestKill([])).toBeUndefined();
  });
});
