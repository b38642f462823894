import { describe, expect, it } from 'vitest';
import { type ClaimsCompareJson, claimsTable, measuresFromCompare } from './claims';
import { CLAIMS } from './claims-data';

const results: ClaimsCompareJson[] = [
  // the reference row in the current (interleaved sweep) format, Temporal's in the earlier one
  {
    stack: 'reference',
    fanout: { rows: [{ pages: 50, latencyMs: 500, measured: { e2e: { median: 2000 } } }] },
  },
  {
    stack: 'temporal',
    resources: { idle: { processes: 5, rssMiB: 1336.1 } },
    load: {
      invoicesPerSec: 4,
      pagesPerSec: 12,
      correct: 12,
      options: { connections: 4, amount: 12, sample: 'invoice-3p' },
    },
    fanout: { rows: [{ pages: 1, latencyMs: 0, measuredP50: 166.3, orchestrationMs: 92 }] },
    chaos: {
      kills: [
        { completedCorrectly: true, duplicateActivityRuns: 0 },
        { completedCorrectly: true, duplicateActivityRuns: 10 },
      ],
      concurrent: { invoices: 100, pages: 3, lost: 0, incorrect: 0, duplicateActivityRuns: 0 },
    },
  },
  { stack: 'dapr', failed: 'wedged', resources: { idle: { processes: 11, rssMiB: 1787 } } },
];

describe('claims vs measured', () => {
  const md = claimsTable(measuresFromCompare(results));
  const row = (quote: string) => md.split('\n').find((l) => l.startsWith(`| "${quote}`))!;

  it('has one row per claim, each either measured, not measured, or untestable with a reason', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| "'));
    expect(rows).toHaveLength(CLAIMS.length);
    for (const c of CLAIMS.filter((x) => x.untestable))
      expect(md).toContain(`cannot be tested here: ${c.untestable}`);
  });

  it('puts the measured figure and both sets of conditions beside a claim', () => {
    expect(row('Latency: Sub-100ms')).toContain(
      'Temporal 166.3 ms p50 end to end for a 1-page invoice, 92 ms of it outside the 3 activities',
    );
    expect(row('Latency: Sub-100ms')).toContain('"simple workflows"; no definition');
    expect(row('Temporal: 10,000+')).toContain('Temporal 4 invoices/s, one workflow each');
    expect(row('Temporal: 10,000+')).toContain('rounded up to whole seconds');
    expect(row('At-least-once')).toContain(
      'Temporal 10 duplicate extractions over 2 kills, 0 under injected failures',
    );
    expect(row('Speedup')).toContain(
      '2000 ms p50, against 25000 ms for the 50 LLM calls one after another (×12.5)',
    );
    expect(row('Durability: 99.99%')).toContain('Temporal 2/2');
  });

  it('leaves failed stacks out and prefers the engine-only figures once they exist', () => {
    expect(row('Resource Usage')).not.toContain('Dapr');
    const withExtras = claimsTable(
      measuresFromCompare(results, { temporal: { workflowsPerSec: { median: 95, lo: 90, hi: 99, n: 10 } } }),
    );
    expect(withExtras).toContain('Temporal 95 workflows/s [90, 99], n = 10 at the knee');
  });

  it('says "not measured" when the run has no figure for a testable claim', () => {
    const empty = claimsTable(measuresFromCompare([]));
    expect(empty.split('\n').filter((l) => l.includes('not measured in this run'))).toHaveLength(
      CLAIMS.filter((c) => c.measure).length,
    );
  });
});
