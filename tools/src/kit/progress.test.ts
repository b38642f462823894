import { describe, expect, it } from 'vitest';
import { Progress, secondsLeft } from './progress';

describe('progress and ETA', () => {
  it('scales the remaining estimate by how long the finished steps really took', () => {
    expect(secondsLeft({ doneEstimateS: 100, elapsedS: 150, remainingEstimateS: 200 })).toBe(300);
    expect(secondsLeft({ doneEstimateS: 0, elapsedS: 0, remainingEstimateS: 200 })).toBe(200);
  });

  it('prints one line per step with its number and the ETA (injected clock)', () => {
    let now = Date.UTC(2026, 0, 1, 21, 0, 0);
    const lines: string[] = [];
    const p = new Progress(
      [
        { key: 'a', estimateS: 60 },
        { key: 'b', estimateS: 60 },
        { key: 'c', estimateS: 120 },
      ],
      () => now,
      (line) => lines.push(line),
    );
    p.start('a', 'first');
    now += 120_000; // step a took twice its estimate
    p.start('c', 'third (b skipped)');
    expect(lines[0]).toBe('[compare 0 s] 1/3 first — ETA 21:04 UTC (4 min left)');
    // done: a and b at 120 s estimated, 120 s elapsed -> scale 1; c left: 120 s
    expect(lines[1]).toBe('[compare 120 s] 3/3 third (b skipped) — ETA 21:04 UTC (2 min left)');
  });
});
