/**
 * Progress with an ETA for a long run made of planned steps, each with a rough estimate in
 * seconds. The estimates are calibrated by what the steps done so far really took, so a slow
 * machine moves the ETA after the first few steps.
 */
export type Step = { key: string; estimateS: number };

/** Seconds left: the remaining estimates scaled by actual/estimated of the steps done. */
export function secondsLeft(p: { doneEstimateS: number; elapsedS: number; remainingEstimateS: number }) {
  const scale = p.doneEstimateS > 0 ? Math.min(4, Math.max(0.25, p.elapsedS / p.doneEstimateS)) : 1;
  return Math.round(p.remainingEstimateS * scale);
}

const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 16);

export class Progress {
  private done = 0;
  private doneEstimateS = 0;
  private readonly began: number;

  constructor(
    private steps: Step[],
    private readonly now: () => number = Date.now,
    private readonly print: (line: string) => void = (line) => console.error(line),
  ) {
    this.began = now();
  }

  get totalEstimateS() {
    return this.steps.reduce((a, s) => a + s.estimateS, 0);
  }

  /** Prints "[compare 123 s] 7/52 temporal: fan-out N=50 L=500 ms, 10 runs — ETA 21:45 UTC (24 min left)". */
  start(key: string, what: string) {
    const index = this.steps.findIndex((s, i) => i >= this.done && s.key === key);
    if (index >= 0) {
      // Steps skipped on the way (a failed stack) count as done at their estimate.
      for (const s of this.steps.slice(this.done, index)) this.doneEstimateS += s.estimateS;
      this.done = index;
    }
    const elapsedS = (this.now() - this.began) / 1000;
    const left = secondsLeft({
      doneEstimateS: this.doneEstimateS,
      elapsedS,
      remainingEstimateS: this.steps.slice(this.done).reduce((a, s) => a + s.estimateS, 0),
    });
    this.print(
      `[compare ${Math.round(elapsedS)} s] ${this.done + 1}/${this.steps.length} ${what} — ETA ${clockTime(this.now() + left * 1000)} UTC (${Math.ceil(left / 60)} min left)`,
    );
    if (index >= 0) {
      this.doneEstimateS += this.steps[index]!.estimateS;
      this.done = index + 1;
    }
  }
}
