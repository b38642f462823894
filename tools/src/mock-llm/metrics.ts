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
      callsPerPage: { ...this.callsPerPage },
      successesPerPage: { ...this.successesPerPage },
    };
  }
}

export type LlmMetricsSnapshot = ReturnType<LlmMetrics['snapshot']>;
