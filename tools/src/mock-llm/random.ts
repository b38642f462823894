/** mulberry32: a tiny seeded PRNG, so latency and failure draws repeat run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleLatency(
  model: { kind: 'fixed'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number } | { kind: 'lognormal'; medianMs: number; sigma: number },
  random: () => number,
): number {
  if (model.kind === 'fixed') return model.ms;
  if (model.kind === 'uniform') return model.minMs + (model.maxMs - model.minMs) * random();
  // Box-Muller for a standard normal, then exp for the lognormal around the median.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return model.medianMs * Math.exp(model.sigma * normal);
}
