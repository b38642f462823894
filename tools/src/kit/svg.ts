/** Small, dependency-free SVG charts for the matrix (line charts over N, bar charts per stack). */

const COLORS = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860'];
const PLOT_W = 540;
const H = 400;
const M = { left: 70, top: 40, bottom: 50 };
/** ~6.8 px per character of 12 px sans-serif, plus the swatch: enough room that no legend clips. */
const legendWidth = (names: string[]) => 50 + Math.ceil(Math.max(0, ...names.map((n) => n.length)) * 6.8);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (n >= 1000 ? `${Math.round(n / 100) / 10}k` : String(Math.round(n * 10) / 10));

/** The axis top: the data's maximum rounded up to a nearby round number (10.6k -> 12k, not 20k). */
export function niceMax(value: number) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((f) => f * magnitude).find((v) => v >= value * 0.999)!;
}

function frame(title: string, xLabel: string, yLabel: string, body: string[], right: number) {
  const W = M.left + PLOT_W + right;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left + PLOT_W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<text x="${M.left + PLOT_W / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + (H - M.top - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A point [x, y] or [x, y, low, high] with its confidence interval drawn as an error bar. */
export type Point = [number, number] | [number, number, number, number];
export type Series = { name: string; points: Point[] };

const finite = (values: number[]) => values.filter((v) => Number.isFinite(v));

/** y against N, x on a log scale (N spans 1..500); intervals as error bars and a band. */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const W = M.left + PLOT_W;
  const right = legendWidth(o.series.map((s) => s.name));
  const xs = [...new Set(o.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ys = finite(o.series.flatMap((s) => s.points.flatMap((p) => p.slice(1))));
  const yMin = Math.min(0, ...ys) < 0 ? -niceMax(-Math.min(...ys)) : 0;
  const yMax = niceMax(Math.max(...ys, 1));
  const lx = (x: number) => Math.log10(Math.max(x, 1));
  const [x0, x1] = [lx(xs[0] ?? 1), lx(xs.at(-1) ?? 10)];
  const px = (x: number) => M.left + ((lx(x) - x0) / Math.max(x1 - x0, 1e-9)) * PLOT_W;
  const py = (y: number) => H - M.bottom - ((y - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = yMin + ((yMax - yMin) * i) / 5;
    body.push(`<line x1="${M.left}" x2="${W}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    body.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (const x of xs)
    body.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle">${x}</text>`);
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = s.points.filter((p) => Number.isFinite(p[1]));
    const banded = points.filter((p) => p.length === 4 && Number.isFinite(p[2]) && Number.isFinite(p[3]));
    if (banded.length > 1) {
      const upper = banded.map((p) => `${px(p[0]).toFixed(1)},${py(p[3]!).toFixed(1)}`);
      const lower = banded.map((p) => `${px(p[0]).toFixed(1)},${py(p[2]!).toFixed(1)}`).reverse();
      body.push(`<polygon fill="${color}" fill-opacity="0.12" points="${[...upper, ...lower].join(' ')}"/>`);
    }
    const pts = points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    for (const p of points) {
      const [cx, cy] = [px(p[0]).toFixed(1), py(p[1]).toFixed(1)];
      if (p.length === 4 && Number.isFinite(p[2]) && Number.isFinite(p[3])) {
        const [lo, hi] = [py(p[2]!).toFixed(1), py(p[3]!).toFixed(1)];
        body.push(`<line x1="${cx}" x2="${cx}" y1="${lo}" y2="${hi}" stroke="${color}" stroke-width="1.5"/>`);
        for (const y of [lo, hi])
          body.push(
            `<line x1="${Number(cx) - 4}" x2="${Number(cx) + 4}" y1="${y}" y2="${y}" stroke="${color}"/>`,
          );
      }
      body.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
    body.push(`<rect x="${W + 15}" y="${M.top + i * 20}" width="12" height="12" fill="${color}"/>`);
    body.push(`<text x="${W + 32}" y="${M.top + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  return frame(o.title, o.xLabel, o.yLabel, body, right);
}

/** One bar per stack; `low`/`high` draw its confidence interval. */
export function barChart(o: {
  title: string;
  yLabel: string;
  bars: Array<{ label: string; value: number; low?: number; high?: number }>;
}): string {
  const W = M.left + PLOT_W;
  const yMax = niceMax(Math.max(...finite(o.bars.flatMap((b) => [b.value, b.high ?? 0])), 0.1));
  const slot = PLOT_W / Math.max(o.bars.length, 1);
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    body.push(`<line x1="${M.left}" x2="${W}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    body.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  o.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.15;
    body.push(
      `<rect x="${x}" y="${py(b.value)}" width="${slot * 0.7}" height="${H - M.bottom - py(b.value)}" fill="${COLORS[i % COLORS.length]}"/>`,
    );
    const top = b.high !== undefined && Number.isFinite(b.high) ? b.high : b.value;
    if (b.low !== undefined && b.high !== undefined && Number.isFinite(b.low) && Number.isFinite(b.high)) {
      const cx = x + slot * 0.35;
      body.push(
        `<line x1="${cx}" x2="${cx}" y1="${py(b.low)}" y2="${py(b.high)}" stroke="#222" stroke-width="1.5"/>`,
      );
      for (const y of [b.low, b.high])
        body.push(`<line x1="${cx - 6}" x2="${cx + 6}" y1="${py(y)}" y2="${py(y)}" stroke="#222"/>`);
    }
    body.push(`<text x="${x + slot * 0.35}" y="${py(top) - 4}" text-anchor="middle">${fmt(b.value)}</text>`);
    body.push(
      `<text x="${x + slot * 0.35}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(b.label)}</text>`,
    );
  });
  return frame(o.title, '', o.yLabel, body, 20);
}

export type XySeries = Series & { labels?: string[] };

/**
 * y against x, both linear, points joined in the order given (e.g. the steps of a ramp), each
 * point optionally labelled (e.g. its client count).
 */
export function xyChart(o: { title: string; xLabel: string; yLabel: string; series: XySeries[] }): string {
  const W = M.left + PLOT_W;
  const right = legendWidth(o.series.map((s) => s.name));
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(...xs, 0) * 1.05);
  const yMax = niceMax(Math.max(...ys, 0) * 1.05);
  const px = (x: number) => M.left + (x / xMax) * PLOT_W;
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    const x = (xMax * i) / 5;
    body.push(`<line x1="${M.left}" x2="${W}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    body.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
    body.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    s.points.forEach(([x, y], j) => {
      body.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
      const label = s.labels?.[j];
      if (label)
        body.push(
          `<text x="${(px(x) + 5).toFixed(1)}" y="${(py(y) - 5).toFixed(1)}" font-size="10" fill="${color}">${esc(label)}</text>`,
        );
    });
    body.push(`<rect x="${W + 15}" y="${M.top + i * 20}" width="12" height="12" fill="${color}"/>`);
    body.push(`<text x="${W + 32}" y="${M.top + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  return frame(o.title, o.xLabel, o.yLabel, body, right);
}
