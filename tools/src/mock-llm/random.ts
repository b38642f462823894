export { mulberry32 as seededRandom } from '@invoice/shared/samples/prng';

export function sampleLatency(
  model:
    | { kind: 'fixed'; ms: number }
    | { kind: 'uniform'; minMs: number; maxMs: number }
    | { kind: 'lognormal'; medianMs: number; sigma: number },
  random: () => number,
): number {
  if (model.kind === 'fixed') return model.ms;
  if (model.kind === 'uniform') return model.minMs + (model.maxMs - model.minMs) * random();
  // Box-Muller for a standard normal, then exp for the lognormal around the median.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return model.medianMs * Math.exp(model.sigma * normal);
}
