import { readFile } from 'node:fs/promises';
import { serveApp } from '@invoice/shared/contract/serve';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { runLoadTest, throughput } from './load-test';

describe('load-test throughput on the kit’s own clock', () => {
  it('divides by the exact window, not a rounded-up duration', () => {
    // 12 invoices of 3 pages between t = 10 000 ms and t = 12 100 ms: 12 / 2.1 s
    expect(throughput({ startedAtMs: 10_000, lastResponseAtMs: 12_100, correct: 12, pages: 3 })).toEqual({
      wallMs: 2_100,
      invoicesPerSec: 5.71,
      pagesPerSec: 17.14,
    });
  });

  it('times a real run with an injected clock: start at 1 000, four answers 250 ms apart → 4/s', async () => {
    const sample = SAMPLES.find((s) => s.name === 'invoice-3p')!;
    const invoice = JSON.parse(await readFile(sample.goldenPath, 'utf8'));
    const app = new Hono().post('/api/invoices', async (c) => {
      await c.req.arrayBuffer();
      return c.json({ id: 'x', status: 'completed', invoice });
    });
    const served = await serveApp(app);
    // The kit reads its clock once before the first request and once per response.
    const ticks = [1_000, 1_250, 1_500, 1_750, 2_000];
    const clock = () => ticks.shift() ?? 2_000;
    try {
      const result = await runLoadTest(
        { name: 'fake', apiUrl: served.url, llmUrl: '' },
        { connections: 1, amount: 4, durationS: 0, sample: 'invoice-3p', progress: false, clock },
      );
      expect(result).toMatchObject({ correct: 4, wallMs: 1_000, invoicesPerSec: 4, pagesPerSec: 12 });
    } finally {
      await served.close();
    }
  });
});
