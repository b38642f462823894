import { z } from 'zod';

const FailureKind = z.enum(['429', '500', 'hang']);

export const LatencyModel = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: z.number().min(0) }),
  z.object({ kind: z.literal('uniform'), minMs: z.number().min(0), maxMs: z.number().min(0) }),
  z.object({ kind: z.literal('lognormal'), medianMs: z.number().min(0), sigma: z.number().min(0) }),
]);

export const MockLlmConfig = z.object({
  latency: LatencyModel.default({ kind: 'fixed', ms: 0 }),
  seed: z.number().int().default(42),
  failures: z
    .object({
      rate429: z.number().min(0).max(1).default(0),
      rate500: z.number().min(0).max(1).default(0),
      rateHang: z.number().min(0).max(1).default(0),
      /** Retry-After sent with 429s, in seconds (decimals allowed so tests stay fast). */
      retryAfterSeconds: z.number().min(0).default(0.2),
      /** The first attempts of EVERY page fail with these kinds, in order: deterministic retries. */
      script: z.array(FailureKind).default([]),
    })
    .default({ rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.2, script: [] }),
  /** Requests beyond this many are queued (0 = no cap). */
  concurrency: z.number().int().min(0).default(0),
  /** Every call for these page numbers hangs: one stuck page, for the invoice deadline (issue 16). */
  hangPages: z.array(z.number().int().positive()).default([]),
});

export type MockLlmConfig = z.infer<typeof MockLlmConfig>;
export type LatencyModel = z.infer<typeof LatencyModel>;
export type FailureKind = z.infer<typeof FailureKind>;

/** "fixed:500", "uniform:100-300", "lognormal:200:0.5" -> a latency model. */
export function parseLatency(spec: string): LatencyModel {
  const [kind, a = '', b = ''] = spec.split(':');
  if (kind === 'fixed') return { kind, ms: Number(a) };
  if (kind === 'uniform') {
    const [min, max] = a.split('-').map(Number);
    return { kind, minMs: min ?? 0, maxMs: max ?? min ?? 0 };
  }
  if (kind === 'lognormal') return { kind, medianMs: Number(a), sigma: Number(b || 0.5) };
  if (/^\d+$/.test(spec)) return { kind: 'fixed', ms: Number(spec) };
  throw new Error(`bad latency "${spec}": use fixed:MS, uniform:MIN-MAX or lognormal:MEDIAN:SIGMA`);
}

/** Builds the config from LLM_* environment variables (flags map onto the same names). */
export function configFromEnv(env: Record<string, string | undefined> = process.env): MockLlmConfig {
  return MockLlmConfig.parse({
    latency: parseLatency(env.LLM_LATENCY ?? 'fixed:0'),
    seed: Number(env.LLM_SEED ?? 42),
    failures: {
      rate429: Number(env.LLM_FAIL_429 ?? 0),
      rate500: Number(env.LLM_FAIL_500 ?? 0),
      rateHang: Number(env.LLM_FAIL_HANG ?? 0),
      retryAfterSeconds: Number(env.LLM_RETRY_AFTER_S ?? 0.2),
      script: env.LLM_FAIL_SCRIPT ? env.LLM_FAIL_SCRIPT.split(',').filter(Boolean) : [],
    },
    concurrency: Number(env.LLM_CONCURRENCY ?? 0),
    hangPages: env.LLM_HANG_PAGES ? env.LLM_HANG_PAGES.split(',').filter(Boolean).map(Number) : [],
  });
}
