import type { MockLlmConfig } from './config';
import type { LlmMetricsSnapshot } from './metrics';

/** Drives a running mock LLM over HTTP: tests, benchmarks and the chaos tool use these. */
export const mockLlm = {
  async configure(llmUrl: string, config: Partial<MockLlmConfig>): Promise<MockLlmConfig> {
    const response = await fetch(`${llmUrl}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(config),
    });
    if (!response.ok) throw new Error(`mock LLM refused the config: ${await response.text()}`);
    return (await response.json()) as MockLlmConfig;
  },
  async metrics(llmUrl: string): Promise<LlmMetricsSnapshot> {
    return (await (await fetch(`${llmUrl}/metrics`)).json()) as LlmMetricsSnapshot;
  },
  async reset(llmUrl: string): Promise<void> {
    await fetch(`${llmUrl}/metrics/reset`, { method: 'POST' });
  },
  /** Back to no latency, no failures, no cap, and clean counters. */
  async neutral(llmUrl: string): Promise<void> {
    await this.configure(llmUrl, {
      latency: { kind: 'fixed', ms: 0 },
      failures: { rate429: 0, rate500: 0, rateHang: 0, retryAfterSeconds: 0.2, script: [] },
      concurrency: 0,
      hangPages: [],
    });
    await this.reset(llmUrl);
  },
};
