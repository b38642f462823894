/**
 * What one invoice run costs a stack beyond the kit's generic model, for the ETA and `--plan`
 * only (nothing measured depends on it). Prefect spawns a Python flow process per flow run and
 * reports every task state to its server: about 4.5 s and 7–9 CPU-s per run on this machine
 * (docs/results/compare/prefect.json, `fanout` N = 1 and `cpu`), where the other engines take
 * milliseconds. Without it the plan said 20 min for a `--quick` run that took 28.
 */
export type RunCost = { floorS: number; perPageS: number };

export const RUN_COSTS: Partial<Record<string, RunCost>> = {
  prefect: { floorS: 4.5, perPageS: 0.09 },
};

/** Extra seconds one sequential run of `pages` pages costs `stack` (0 for the fast engines). */
export function extraRunSeconds(stack: string, pages: number): number {
  const c = RUN_COSTS[stack];
  return c ? c.floorS + c.perPageS * pages : 0;
}

/**
 * Extra seconds for `runs` concurrent runs: they share the machine's 2 cores, so a stack whose
 * runs are CPU-bound drains them at about two at a time.
 */
export function extraConcurrentSeconds(stack: string, pages: number, runs: number, cores = 2): number {
  return (extraRunSeconds(stack, pages) * runs) / cores;
}
