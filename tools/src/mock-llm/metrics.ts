/** What the mock LLM saw; GET /metrics returns it, POST /metrics/reset clears it. */
export class LlmMetrics {
  totalCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  queued = 0;
  /** calls whose caller aborted before the answer (they are still served, as a real provider would) */
  abandoned = 0;
  failures = { '429': 0, '500': 0, hang: 0 };
  callsPerPage: Record<string, number> = {};
  successesPerPage: Record<string, number> = {};
  /** time one successful call spent being served (after any queueing for the cap), in ms */
  service = { count: 0, sumMs: 0, maxMs: 0 };

  served(ms: number) {
    this.service.count++;
    this.service.sumMs += ms;
    this.service.maxMs = Math.max(this.service.maxMs, ms);
  }

  snapshot() {
    const successes = Object.values(this.successesPerPage);
    return {
      totalCalls: this.totalCalls,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      queued: this.queued,
      abandoned: this.abandoned,
      failures: { ...this.failures },
      pages: Object.keys(this.callsPerPage).length,
      successfulCalls: successes.reduce((a, b) => a + b, 0),
      /** successful extractions beyond the first per page: work an engine did twice */
      duplicateSuccesses: successes.reduce((a, n) => a + Math.max(0, n - 1), 0),
      /** the mock's own per-call service time: what the ideal fan-out is made of */
      callMs: {
        count: this.service.count,
        mean: this.service.count ? Math.round((this.service.sumMs / this.service.count) * 100) / 100 : 0,
        max: Math.round(this.service.maxMs * 100) / 100,
      },
      callsPerPage: { ...this.callsPerPage },
      successesPerPage: { ...this.successesPerPage },
    };
  }
}

export type LlmMetricsSnapshot = ReturnType<LlmMetrics['snapshot']>;
