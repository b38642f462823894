import { describe, expect, it } from 'vitest';
import { chaosRecoveryBudgetMs, DF_SHORT_TIMEOUTS, shortenedHostJson } from './bench-settings';
import type { EngineCell } from './engine-bench';
import {
  cpuComparisonLines,
  decisionExtras,
  type EngineOnlyJson,
  type ExtrasResult,
  engineOnlySection,
  msPerActivity,
  saturationSection,
} from './matrix-extras';
import type { SaturationResult } from './saturation';
import { summarize } from './stats';

const spreadOf = (xs: number[]) => ({
  median: [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!,
  min: Math.min(...xs),
  max: Math.max(...xs),
  n: xs.length,
});
const cellOf = (pages: number, latencyMs: number, perActivity: number[]): EngineCell => {
  const samples = perActivity.map((m) => ({
    e2eMs: m * (pages + 2) + latencyMs + 5,
    totalMs: m * (pages + 2) + latencyMs,
    fanoutMsPerExtract: m,
    msPerActivity: m,
    orchestrationMs: 1,
  }));
  const of = (k: keyof (typeof samples)[number]) => spreadOf(samples.map((s) => s[k]));
  return {
    pages,
    latencyMs,
    runs: samples.length,
    errors: 0,
    e2eMs: of('e2eMs'),
    totalMs: of('totalMs'),
    msPerActivity: of('msPerActivity'),
    fanoutMsPerExtract: of('fanoutMsPerExtract'),
    orchestrationMs: of('orchestrationMs'),
    cpuMsPerWorkflow: 40,
    samples,
  };
};
const step = (clients: number, perSec: number, p99: number) => ({
  clients,
  perSecBuckets: { median: perSec, min: perSec - 1, max: perSec + 1, n: 5 },
  completed: perSec * 10,
  errors: 0,
  errorsByKind: {},
  drained: 0,
  latencyMs: { p50: p99 / 2, p99, p99IsMax: true, min: 1, max: p99, n: perSec * 10 },
  windowS: 10,
});
const engineOnly = (perActivity: number[]): EngineOnlyJson => ({
  stack: 'x',
  options: {
    pages: [1, 100],
    latencies: [0],
    runs: perActivity.length,
    saturation: { clients: [1, 4], stepSeconds: 10, warmupSeconds: 3, pages: 10 },
  },
  cells: [cellOf(1, 0, perActivity), cellOf(100, 0, perActivity)],
  skipped: [],
  saturation: {
    pages: 10,
    steps: [
      { ...step(1, 20, 60), workflowsPerSec: 20, activitiesPerSec: 240 },
      { ...step(4, 50, 100), workflowsPerSec: 50, activitiesPerSec: 600 },
    ],
    skipped: [],
    knee: {
      clients: 4,
      workflowsPerSec: 50,
      activitiesPerSec: 600,
      p99: 100,
      unloadedP99: 60,
      p99Limit: 120,
    },
  },
  cpu: {
    pages: 10,
    activities: 12,
    runs: 6,
    errors: 0,
    cpuMsPerWorkflow: summarize([30, 31, 32, 33, 34, 35]),
  },
});
const saturation: SaturationResult = {
  stack: 'x',
  options: {
    clients: [1, 8],
    stepSeconds: 5,
    warmupSeconds: 1,
    pages: 10,
    llmLatency: { kind: 'lognormal', medianMs: 800, sigma: 0.5 },
    llmConcurrency: 32,
  },
  steps: [
    { ...step(1, 2, 3000), invoicesPerSec: 2, pagesPerSec: 20, maxLlmInFlight: 10 },
    { ...step(8, 3, 9000), invoicesPerSec: 3, pagesPerSec: 30, maxLlmInFlight: 32 },
  ],
  skipped: [16, 32],
  knee: { clients: 1, invoicesPerSec: 2, pagesPerSec: 20, p99: 3000, unloadedP99: 3000, p99Limit: 6000 },
};
const results: ExtrasResult[] = [
  {
    stack: 'temporal',
    cpu: {
      pages: 10,
      cpuMsPerInvoice: summarize([600, 610, 620, 630, 640, 650]),
      cpuMsPerPage: summarize([60, 61, 62]),
    },
    engineOnly: engineOnly([10, 11, 12, 13, 14, 15]),
    saturation,
  },
  {
    stack: 'custom-engine',
    engineOnly: {
      ...engineOnly([1, 1.1, 1.2, 1.3, 1.4, 1.5]),
      skipped: [{ pages: 1000, latencyMs: 0, why: 'one run predicted at 65 s' }],
    },
    saturation,
  },
  { stack: 'azure-durable-functions', engineOnly: engineOnly([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]) },
  { stack: 'dapr', engineOnly: { failed: 'up failed' }, saturation: { failed: 'wedged' } },
];
const labels = {
  label: (s: string) => s.toUpperCase(),
  rankable: (r: ExtrasResult) => r.stack !== 'azure-durable-functions',
};

describe('engine-only and saturation sections', () => {
  it('msPerActivity summarizes the samples of one cell with an interval', () => {
    const s = msPerActivity(engineOnly([1, 2, 3, 4, 5, 6]), 100, 0)!;
    expect(s.n).toBe(6);
    expect(s.ci[0]).toBeLessThanOrEqual(s.median);
    expect(msPerActivity(engineOnly([1]), 1000, 0)).toBeUndefined();
  });

  it('renders tables, charts and anchors; ranks only apart intervals and never a stand-in', () => {
    const { lines, charts } = engineOnlySection(results, labels);
    const md = lines.join('\n');
    expect(md).toContain('## Engine-only benchmark (synthetic activities)');
    expect(md).toContain('CUSTOM-ENGINE cheaper per activity than TEMPORAL');
    expect(md).not.toMatch(/AZURE-DURABLE-FUNCTIONS (cheaper|≈)/);
    expect(md).not.toContain('| DAPR |');
    expect(md).toContain('◀ knee');
    expect(md).toContain('| CUSTOM-ENGINE | 1000 | 0 | not run: one run predicted at 65 s |');
    expect(md).toContain('clients 1, 4, 3 s uncounted warm-up + 10 s counted');
    expect(md).toContain('graphile-worker'); // the custom engine's published anchor
    expect(charts.map((c) => c.name)).toEqual(['engine-ms-per-activity-L0.svg', 'engine-saturation.svg']);
    const sat = saturationSection(results, labels, (r) => `<svg>${r.map((x) => x.stack).join(',')}</svg>`);
    expect(sat.lines.join('\n')).toContain('lognormal latency, median 800 ms, σ 0.5, at most C = 32');
    expect(sat.charts[0]!.svg).toBe('<svg>TEMPORAL,CUSTOM-ENGINE</svg>');
    // a ramp stopped past its knee lists what it did not run
    expect(sat.lines.join('\n')).toContain('| TEMPORAL | 32 | not run: the ramp stopped past the knee |');
    expect(engineOnlySection([{ stack: 'dapr' }], labels).lines).toEqual([]);
    // a step that finished nothing inside its window has no latency to show
    const empty = {
      ...step(16, 0, 0),
      latencyMs: { p50: Number.NaN, p99: Number.NaN, p99IsMax: false, min: 0, max: 0, n: 0 },
      invoicesPerSec: 0,
      pagesPerSec: 0,
    };
    const slow = saturationSection(
      [{ stack: 'x', saturation: { ...saturation, steps: [...saturation.steps, empty] } }],
      labels,
      () => '',
    );
    expect(slow.lines.join('\n')).toContain('| X | 16 | 0 (-1–1) | 0 | - | - | 0 | - |  |');
  });

  it('puts real-flow and engine-only CPU side by side', () => {
    const md = cpuComparisonLines(results, labels).join('\n');
    expect(md).toMatch(/\| TEMPORAL \| 625 .*\| 32\.5 .*\(N = 10\) \| 2\.7 \|/);
  });
});

describe('decisionExtras', () => {
  it('hands the decision page CPU, ms per activity at N = 100 and the knee, and Temporal its claims', () => {
    const { extras, claimsExtras } = decisionExtras(results);
    expect(extras.temporal?.cpuMsPerInvoice?.interval.median).toBe(625);
    expect(extras['custom-engine']?.engineMsPerActivity?.interval).toMatchObject({ median: 1.25, n: 6 });
    expect(extras['custom-engine']?.saturationKnee).toMatchObject({
      interval: { median: 2, lo: 1, hi: 3, n: 5 },
      unit: 'invoices/s at 1 clients',
    });
    // Nothing measured: only what the conformance suite checks on every stack.
    expect(Object.keys(extras.dapr ?? {})).toEqual(['productionBehaviours']);
    expect(claimsExtras.temporal?.workflowsPerSec).toEqual({ median: 50, lo: 49, hi: 51, n: 5 });
    expect(claimsExtras.temporal?.activitiesPerSec).toEqual({ median: 600, lo: 588, hi: 612, n: 5 });
    expect(claimsExtras.temporal?.simpleWorkflowMs?.median).toBe(37.5);
    expect(claimsExtras['custom-engine']).toBeUndefined();
  });
});

describe('a second run', () => {
  it('widens the intervals before ranking: apart in one run but not across both is a tie', () => {
    const first = { label: labels.label, rankable: labels.rankable };
    expect(engineOnlySection(results, first).lines.join('\n')).toContain(
      'CUSTOM-ENGINE cheaper per activity than TEMPORAL',
    );
    // The custom engine's second run lands inside Temporal's interval.
    const again = { stack: 'custom-engine', engineOnly: engineOnly([9, 10, 11, 12, 13, 14]) };
    const both = { ...first, second: (stack: string) => (stack === 'custom-engine' ? again : undefined) };
    const md = engineOnlySection(results, both).lines.join('\n');
    expect(md).not.toContain('CUSTOM-ENGINE cheaper per activity than TEMPORAL');
    expect(md).toContain('CUSTOM-ENGINE ≈ TEMPORAL');
    // A stack the second run did not measure is not ranked at all.
    const without = { ...first, second: (stack: string) => (stack === 'custom-engine' ? null : undefined) };
    expect(engineOnlySection(results, without).lines.join('\n')).toContain(
      'ms per activity at N = 100, L = 0: fewer than two rankable stacks measured',
    );
    const widened = decisionExtras(results, both.second).extras['custom-engine']?.engineMsPerActivity;
    expect(widened?.interval.median).toBe(1.25);
    expect(widened?.interval.hi).toBeGreaterThanOrEqual(13);
  });
});

describe('Durable Functions chaos settings', () => {
  it('waits out Azure default timeouts only with the app host.json', () => {
    expect(chaosRecoveryBudgetMs('azure-durable-functions', {})).toBe(360_000);
    expect(chaosRecoveryBudgetMs('azure-durable-functions', { DF_HOST_JSON: '/tmp/h.json' })).toBe(90_000);
    expect(chaosRecoveryBudgetMs('temporal', {})).toBe(90_000);
    expect(chaosRecoveryBudgetMs('prefect', {})).toBe(240_000);
  });

  it('shortens the storage provider timeouts and leaves the input alone', () => {
    const app = { version: '2.0', extensions: { durableTask: { storageProvider: { partitionCount: 4 } } } };
    const short = shortenedHostJson(app) as typeof app & { testHost: unknown };
    expect(short.extensions.durableTask.storageProvider).toEqual({
      partitionCount: 4,
      controlQueueVisibilityTimeout: DF_SHORT_TIMEOUTS.controlQueueVisibilityTimeout,
      workItemQueueVisibilityTimeout: DF_SHORT_TIMEOUTS.workItemQueueVisibilityTimeout,
    });
    expect(short.testHost).toEqual(DF_SHORT_TIMEOUTS.testHost);
    expect(app.extensions.durableTask.storageProvider).toEqual({ partitionCount: 4 });
  });
});
