/** Small, dependency-free SVG charts for the matrix (line charts over N, bar charts per stack). */

const COLORS = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860'];
const W = 720;
const H = 400;
const M = { left: 70, right: 180, top: 40, bottom: 50 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (n >= 1000 ? `${Math.round(n / 100) / 10}k` : String(Math.round(n * 10) / 10));

function niceMax(value: number) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((v) => v >= value)!;
}

function frame(title: string, xLabel: string, yLabel: string, body: string[]) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + (H - M.top - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export type Series = { name: string; points: Array<[number, number]> };

/** y against N, x on a log scale (N spans 1..500). */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const xs = [...new Set(o.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const yMin = Math.min(0, ...ys);
  const yMax = niceMax(Math.max(...ys, 1));
  const lx = (x: number) => Math.log10(Math.max(x, 1));
  const [x0, x1] = [lx(xs[0] ?? 1), lx(xs.at(-1) ?? 10)];
  const px = (x: number) => M.left + ((lx(x) - x0) / Math.max(x1 - x0, 1e-9)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = yMin + ((yMax - yMin) * i) / 5;
    body.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    body.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (const x of xs)
    body.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle">${x}</text>`);
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    for (const [x, y] of s.points)
      body.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    body.push(`<rect x="${W - M.right + 15}" y="${M.top + i * 20}" width="12" height="12" fill="${color}"/>`);
    body.push(`<text x="${W - M.right + 32}" y="${M.top + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  return frame(o.title, o.xLabel, o.yLabel, body);
}

export function barChart(o: {
  title: string;
  yLabel: string;
  bars: Array<{ label: string; value: number }>;
}): string {
  const yMax = niceMax(Math.max(...o.bars.map((b) => b.value), 0.1));
  const plotW = W - M.left - M.right;
  const slot = plotW / Math.max(o.bars.length, 1);
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    body.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    body.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  o.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.15;
    body.push(
      `<rect x="${x}" y="${py(b.value)}" width="${slot * 0.7}" height="${H - M.bottom - py(b.value)}" fill="${COLORS[i % COLORS.length]}"/>`,
    );
    body.push(
      `<text x="${x + slot * 0.35}" y="${py(b.value) - 4}" text-anchor="middle">${fmt(b.value)}</text>`,
    );
    body.push(
      `<text x="${x + slot * 0.35}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(b.label)}</text>`,
    );
  });
  return frame(o.title, '', o.yLabel, body);
}

export type XySeries = Series & { labels?: string[] };

/**
 * y against x, both linear, points joined in the order given (e.g. the steps of a ramp), each
 * point optionally labelled (e.g. its client count).
 */
export function xyChart(o: { title: string; xLabel: string; yLabel: string; series: XySeries[] }): string {
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(...xs, 0) * 1.05);
  const yMax = niceMax(Math.max(...ys, 0) * 1.05);
  const px = (x: number) => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    const x = (xMax * i) / 5;
    body.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
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
    body.push(`<rect x="${W - M.right + 15}" y="${M.top + i * 20}" width="12" height="12" fill="${color}"/>`);
    body.push(`<text x="${W - M.right + 32}" y="${M.top + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  return frame(o.title, o.xLabel, o.yLabel, body);
}
