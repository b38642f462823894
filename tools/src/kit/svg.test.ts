import { describe, expect, it } from 'vitest';
import { barChart, lineChart, niceMax } from './svg';

describe('charts', () => {
  it('scales the axis to the data (10.6 s tops out at 12 s, not 20 s)', () => {
    expect(niceMax(10_600)).toBe(12_000);
    expect(niceMax(5_000)).toBe(5_000);
    expect(niceMax(0.42)).toBe(0.5);
  });

  it('makes the picture wide enough for the longest legend and draws each interval', () => {
    const name = 'reference (no orchestrator)';
    const svg = lineChart({
      title: 't',
      xLabel: 'N',
      yLabel: 'ms',
      series: [
        {
          name,
          points: [
            [1, 100, 90, 110],
            [10, 200, 180, 230],
          ],
        },
        {
          name: 'Temporal',
          points: [
            [1, 150],
            [10, 260],
          ],
        },
      ],
    });
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const legendX = Number(
      new RegExp(`<text x="([\\d.]+)"[^>]*>${name.replace(/[()]/g, '\\$&')}</text>`).exec(svg)![1],
    );
    expect(legendX + name.length * 6.8).toBeLessThanOrEqual(width);
    expect(svg).toContain('<polygon'); // the band of the series with intervals
    expect(svg.match(/stroke-width="1.5"/g)).toHaveLength(2); // one error bar per point with an interval
    const bars = barChart({ title: 'b', yLabel: 'ms', bars: [{ label: 'a', value: 5, low: 4, high: 7 }] });
    expect(bars).toContain('stroke-width="1.5"');
  });
});
