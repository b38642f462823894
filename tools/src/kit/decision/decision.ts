/**
 * The one-screen decision table that opens the comparison matrix: one column per stack, one row
 * per question an architect asks, each cell a short value with links to its evidence.
 *
 * `buildDecisionTable` is pure: it renders whatever `DecisionInput` it is given. Measured rows
 * carry an interval and are ranked only through the `rank` function passed in (by default
 * `rankByInterval`, which says "tie within noise" when intervals overlap). Stand-in stacks
 * (Durable Functions on our test host) are shown but never ranked.
 */

import type { Evidence, FactRow, StackId } from './facts';
import { type Interval, type Ranked, rankByInterval, TIE } from './ranking';

export type { Evidence } from './facts';

export type DecisionCell = {
  value: string;
  evidence: Evidence[];
  /** present on measured cells that may be ranked */
  interval?: Interval;
};
export type DecisionRow = {
  question: string;
  /** which way is better, for rows whose cells carry intervals; absent = never ranked */
  better?: 'lower' | 'higher';
  cells: Partial<Record<string, DecisionCell>>;
};
export type DecisionColumn = { stack: string; label: string; standIn?: boolean };
export type DecisionInput = { columns: DecisionColumn[]; rows: DecisionRow[] };

export type RankFn = <T>(
  items: Array<{ item: T; interval: Interval; standIn?: boolean }>,
  lowerIsBetter: boolean,
) => Ranked<T>[];

const link = (e: Evidence) => `[${e.label}](${e.href})`;
const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The rank note of each cell of one row, keyed by stack ('' when the row is not ranked). */
function rankNotes(row: DecisionRow, columns: DecisionColumn[], rank: RankFn): Record<string, string> {
  const notes: Record<string, string> = {};
  if (!row.better) return notes;
  const items = columns.flatMap((c) => {
    const interval = row.cells[c.stack]?.interval;
    return interval ? [{ item: c.stack, interval, standIn: c.standIn }] : [];
  });
  const ranked = rank(items, row.better === 'lower');
  const rankable = ranked.filter((r) => r.rank > 0);
  const distinct = new Set(rankable.map((r) => r.rank)).size;
  for (const r of ranked) {
    if (r.rank === 0) notes[r.item] = 'stand-in, not ranked';
    else if (rankable.length < 2) notes[r.item] = '';
    else if (distinct === 1) notes[r.item] = TIE;
    else {
      const tied = rankable.filter((x) => x.rank === r.rank).length > 1;
      notes[r.item] = `rank ${r.rank}${tied ? `, ${TIE}` : ''}`;
    }
  }
  return notes;
}

/** Markdown: a heading, one line on how to read it, and the table. */
export function buildDecisionTable(input: DecisionInput, rank: RankFn = rankByInterval): string {
  const header = ['question', ...input.columns.map((c) => c.label)];
  const lines = [
    '## Decision table',
    '',
    'One cell per stack and question, each with its evidence: a measured table below, a test, code, or a cited source. Measured rows are ranked only where the 95 % intervals do not overlap; otherwise they say "tie within noise". A count (durable state of one invoice) is exact and ranks on its value. Durable Functions† runs on our replay test host, a stand-in, so it is never ranked.',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const row of input.rows) {
    const notes = rankNotes(row, input.columns, rank);
    const cells = input.columns.map((c) => {
      const cell = row.cells[c.stack];
      if (!cell) return 'not measured';
      const note = notes[c.stack] ? ` (${notes[c.stack]})` : '';
      const evidence = cell.evidence.length ? ` ${cell.evidence.map(link).join(', ')}` : '';
      return escapeCell(`${cell.value}${note}${evidence}`);
    });
    lines.push(`| **${escapeCell(row.question)}** | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The hand-written rows (facts.ts) in DecisionRow form. */
export const factRows = (facts: FactRow[]): DecisionRow[] =>
  facts.map((f) => ({ question: f.question, cells: { ...f.cells } as Record<StackId, DecisionCell> }));
