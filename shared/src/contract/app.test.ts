import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../blob/local';
import { SAMPLES } from '../samples/corpus';
import { createInvoiceApp } from './app';
import type { InvoiceOrchestrator } from './types';

/** An orchestrator that declares no production behaviour: what a stack not yet adapted is. */
const bare: InvoiceOrchestrator = {
  name: 'bare',
  behaviours: {},
  start: async () => {},
  status: async () => ({ status: 'running' }),
  wait: async () => ({ status: 'running' }),
  ready: async () => true,
};

describe('a stack that declares no production behaviour', () => {
  it('answers 501 not_supported to an Idempotency-Key and to a cancel, and stores nothing', async () => {
    const blobs = new LocalBlobStore(await mkdtemp(join(tmpdir(), 'app-test-')));
    const app = createInvoiceApp({ orchestrator: bare, blobs });
    const upload = await app.request('/api/invoices', {
      method: 'POST',
      headers: { 'content-type': 'application/pdf', 'idempotency-key': 'k-1' },
      body: await readFile(SAMPLES[0]!.pdfPath),
    });
    expect(upload.status).toBe(501);
    expect(((await upload.json()) as { error: { code: string } }).error.code).toBe('not_supported');
    expect(await blobs.list('invoices/')).toEqual([]);
    const cancel = await app.request('/api/invoices/00000000-0000-4000-8000-000000000000/cancel', {
      method: 'POST',
    });
    expect(cancel.status).toBe(501);
    const health = (await (await app.request('/healthz')).json()) as { behaviours: object };
    expect(health.behaviours).toEqual({});
  });
});
