import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../launcher/registry';
import { costSection } from '../cost/units';
import { EXTRA_EVIDENCE } from '../matrix-extras';
import { buildDecisionTable, type DecisionInput } from './decision';
import { FACT_ROWS } from './facts';
import { type CompareStackJson, decisionInputFromCompare } from './from-compare';
import { compareIntervals, rankByInterval, TIE } from './ranking';

const iv = (lo: number, median: number, hi: number, n = 10) => ({ lo, median, hi, n });

describe('rankByInterval', () => {
  it('ranks only where intervals do not overlap, and never ranks a stand-in', () => {
    const ranked = rankByInterval(
      [
        { item: 'slow', interval: iv(300, 320, 340) },
        { item: 'fast', interval: iv(100, 110, 120) },
        { item: 'fastish', interval: iv(115, 130, 150) },
        { item: 'stand-in', interval: iv(1, 2, 3), standIn: true },
      ],
      true,
    );
    expect(Object.fromEntries(ranked.map((r) => [r.item, r.rank]))).toEqual({
      fast: 1,
      fastish: 1,
      slow: 2,
      'stand-in': 0,
    });
  });

  it('orders higher-is-better figures the other way', () => {
    const ranked = rankByInterval(
      [
        { item: 'a', interval: iv(4, 5, 6) },
        { item: 'b', interval: iv(9, 10, 11) },
      ],
      false,
    );
    expect(ranked.map((r) => [r.item, r.rank])).toEqual([
      ['b', 1],
      ['a', 2],
    ]);
  });

  it('compareIntervals calls touching intervals a tie', () => {
    expect(compareIntervals(iv(1, 2, 3), iv(3, 4, 5))).toBe(TIE);
    expect(compareIntervals(iv(1, 2, 3), iv(3.1, 4, 5))).toBe('a');
    expect(compareIntervals(iv(1, 2, 3), iv(3.1, 4, 5), false)).toBe('b');
  });
});

describe('buildDecisionTable', () => {
  const input: DecisionInput = {
    columns: [
      { stack: 'x', label: 'X' },
      { stack: 'y', label: 'Y' },
      { stack: 'z', label: 'Z†', standIn: true },
    ],
    rows: [
      {
        question: 'CPU per invoice',
        better: 'lower',
        cells: {
          x: {
            value: '390 ms',
            interval: iv(380, 390, 400),
            evidence: [{ label: 'x.json', href: 'results/x.json' }],
          },
          y: { value: '700 ms', interval: iv(650, 700, 760), evidence: [] },
          z: { value: '10 ms', interval: iv(9, 10, 11), evidence: [] },
        },
      },
      {
        question: 'Latency',
        better: 'lower',
        cells: {
          x: { value: 'a', interval: iv(1, 2, 5), evidence: [] },
          y: { value: 'b', interval: iv(4, 5, 6), evidence: [] },
        },
      },
      {
        question: 'Language | support',
        cells: { x: { value: 'TS', evidence: [{ label: 'api', href: '../api.ts' }] } },
      },
    ],
  };
  const md = buildDecisionTable(input);
  const line = (q: string) => md.split('\n').find((l) => l.startsWith(`| **${q}`))!;

  it('puts rank notes only where intervals separate the stacks, and never on a stand-in', () => {
    expect(line('CPU per invoice')).toBe(
      '| **CPU per invoice** | 390 ms (rank 1) [x.json](results/x.json) | 700 ms (rank 2) | 10 ms (stand-in, not ranked) |',
    );
    expect(line('Latency')).toContain(`a (${TIE})`);
    expect(line('Latency')).toContain('not measured');
  });

  it('links evidence and escapes pipes', () => {
    expect(line('Language \\| support')).toBe(
      '| **Language \\| support** | TS [api](../api.ts) | not measured | not measured |',
    );
  });

  it('uses the ranking function it is given', () => {
    const never = () => [];
    expect(buildDecisionTable(input, never)).not.toContain('rank 1');
  });
});

describe('decisionInputFromCompare', () => {
  const results: CompareStackJson[] = [
    {
      stack: 'temporal',
      chaos: {
        kills: [
          {
            process: 'temporal',
            completedCorrectly: true,
            completedAfterKillMs: 11366,
            duplicateActivityRuns: 0,
          },
          {
            process: 'worker-extract',
            completedCorrectly: true,
            completedAfterKillMs: 12468,
            duplicateActivityRuns: 10,
          },
          { process: 'api', completedCorrectly: true, completedAfterKillMs: 1743, duplicateActivityRuns: 0 },
        ],
        concurrent: { invoices: 100, lost: 0, incorrect: 0 },
      },
      state: [{ pages: 50, ok: true, bytes: 63513, events: 170, what: 'workflow history (server-reported)' }],
      resources: { idle: { processes: 5 } },
      loc: { orchestrationLines: 43 },
    },
    {
      stack: 'custom-engine',
      chaos: {
        kills: [{ process: 'worker', completedCorrectly: false, outcome: 'lost', duplicateActivityRuns: 20 }],
      },
      state: [{ pages: 50, ok: true, bytes: 54374, events: 107, what: 'SQLite rows (events = rows)' }],
    },
    { stack: 'dapr', failed: 'wedged' },
  ];
  const input = decisionInputFromCompare(results, {
    temporal: { cpuMsPerInvoice: { interval: iv(660, 685, 700), unit: 'CPU-ms' } },
    'custom-engine': { cpuMsPerInvoice: { interval: iv(380, 390, 400), unit: 'CPU-ms' } },
  });
  const row = (q: string) => input.rows.find((r) => r.question === q)!;

  it('maps chaos, state and extras onto rows, and leaves failed stacks out', () => {
    expect(row('Survives a SIGKILL of each process').cells.temporal?.value).toBe(
      'yes: 3/3 kills; 0 of 100 lost or wrong under failures',
    );
    expect(row('Survives a SIGKILL of each process').cells['custom-engine']?.value).toBe(
      'no: 0/1 kills, not after worker (lost)',
    );
    expect(row('Duplicate extractions per crash').cells.temporal?.value).toBe('0 median (0–10), 3 kills');
    expect(row('Duplicate extractions per crash').cells['custom-engine']?.value).toBe(
      '20 median (20–20), 1 kill',
    );
    expect(row('Recovery: kill → invoice done').cells.temporal?.value).toBe(
      '11366 ms median (1743–12468), 3 kills',
    );
    expect(row('Durable state per invoice').cells.temporal?.value).toBe('62 KiB, 170 events at N = 50');
    expect(row('Durable state per invoice').cells['custom-engine']?.value).toBe(
      '53.1 KiB, 107 rows at N = 50',
    );
    expect(row('Survives a SIGKILL of each process').cells.dapr).toBeUndefined();
    expect(row('CPU per invoice').cells.temporal?.value).toBe('685 CPU-ms [660, 700], n = 10');
    expect(row('Setup complexity (here, no Docker)').cells.temporal?.value).toMatch(/; 5 processes at idle$/);
    expect(row('Learning curve (what you must learn)').cells.temporal?.value).toMatch(
      /; orchestration file 43 lines$/,
    );
    expect(row('Learning curve (what you must learn)').cells['custom-engine']?.value).not.toContain('lines');
  });

  it('renders one row per question, fact rows included, with the CPU row ranked', () => {
    const md = buildDecisionTable(input);
    expect(md.split('\n').filter((l) => l.startsWith('| **')).length).toBe(input.rows.length);
    expect(md).toContain('390 CPU-ms [380, 400], n = 10 (rank 1)');
    expect(md).toContain('685 CPU-ms [660, 700], n = 10 (rank 2)');
    for (const q of ['Language support', 'Learning curve', 'Best for', 'Cost model', 'Saturation knee'])
      expect(md).toContain(`| **${q}`);
  });
});

describe('facts', () => {
  it('every in-repo evidence link points at a file that exists, and every cell has evidence', () => {
    for (const row of FACT_ROWS)
      for (const cell of Object.values(row.cells)) {
        expect(cell.evidence.length).toBeGreaterThan(0);
        for (const e of cell.evidence)
          if (e.href.startsWith('../'))
            expect(existsSync(join(REPO_ROOT, e.href.slice(3))), e.href).toBe(true);
      }
  });
});

describe('section links', () => {
  it('every #anchor the decision table uses is a heading of the matrix', () => {
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N} -]/gu, '')
        .replace(/ /g, '-');
    const sources = [
      readFileSync(join(REPO_ROOT, 'tools/src/kit/matrix-sections.md'), 'utf8'),
      readFileSync(join(REPO_ROOT, 'tools/src/kit/matrix.ts'), 'utf8'),
      readFileSync(join(REPO_ROOT, 'tools/src/kit/matrix-extras.ts'), 'utf8'),
      costSection([]),
    ].join('\n');
    const headings = new Set([...sources.matchAll(/## ([^'`\n]+)/g)].map((m) => slug(m[1]!.trim())));
    const input = decisionInputFromCompare(
      [
        {
          stack: 'temporal',
          chaos: {
            kills: [
              { process: 'api', completedCorrectly: true, completedAfterKillMs: 1, duplicateActivityRuns: 0 },
            ],
          },
          state: [{ pages: 50, ok: true, bytes: 1 }],
        },
      ],
      {},
    );
    const anchors = input.rows.flatMap((r) =>
      Object.values(r.cells).flatMap((c) => (c?.evidence ?? []).filter((e) => e.href.startsWith('#'))),
    );
    expect(anchors.length).toBeGreaterThan(10);
    // and the measured extras the matrix passes in (CPU, engine-only, saturation)
    anchors.push(...Object.values(EXTRA_EVIDENCE));
    for (const a of anchors) expect(headings, a.href).toContain(a.href.slice(1));
  });
});
