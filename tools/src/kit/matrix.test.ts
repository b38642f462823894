import { describe, expect, it } from 'vitest';
import { howToChoose, ranking, type StackResult } from './matrix';
import { summarize } from './stats';

const range = (from: number) => Array.from({ length: 10 }, (_, i) => from + i);
const result = (stack: string, cpuFrom: number): StackResult => ({
  stack,
  date: '2026-01-01',
  cpu: {
    pages: 10,
    runs: 10,
    errors: 0,
    cpuMsPerInvoice: summarize(range(cpuFrom)),
    cpuMsPerPage: summarize(range(cpuFrom / 10)),
    peakRssMiB: 100,
  },
});

describe('matrix rankings', () => {
  // CPU-ms intervals: custom [301, 308], Temporal [601, 608], Dapr [603, 610] (overlaps Temporal),
  // Durable Functions [101, 108] (lowest, but a stand-in), reference [1, 8] (never ranked).
  const results = [
    result('reference', 0),
    result('custom-engine', 300),
    result('temporal', 600),
    result('dapr', 602),
    result('azure-durable-functions', 100),
  ];

  it('ranks only apart intervals, calls overlaps a tie, and leaves stand-ins and the reference out', () => {
    const line = ranking(results, (r) => r.cpu?.cpuMsPerInvoice, 'cheaper');
    expect(line).toBe(
      'custom engine cheaper than Temporal; custom engine cheaper than Dapr Workflow‡. tie within noise: Temporal ≈ Dapr Workflow‡',
    );
    expect(line).not.toContain('Durable Functions');
    expect(line).not.toContain('reference');
  });

  it('keeps stand-ins out of "how to choose" rankings and says why', () => {
    const text = howToChoose(results);
    const cpuLine = text.split('\n').find((l) => l.includes('CPU per invoice'))!;
    expect(cpuLine).not.toContain('Durable Functions');
    expect(text).toContain(
      'Durable Functions† (stand-in): measured on a stand-in host, so left out of the rankings',
    );
  });
});
