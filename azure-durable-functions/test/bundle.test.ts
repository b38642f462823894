import { readFile } from 'node:fs/promises';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { describeConformance } from '@invoice/shared/testing/conformance';
import { type StackHandle, upStack } from '@invoice/tools/launcher/launcher';
import { mockLlm } from '@invoice/tools/mock-llm/remote';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../build';
import { postSample } from './helpers';

/**
 * The artifact users deploy, end to end: dist/functions.js as `pnpm build` produces it (what
 * `func start` and the compose file load), run under plain Node on the test host; requests go
 * through the bundle's own HTTP starter function and its durable client (startNew, getStatus,
 * waitForCompletionOrCreateCheckStatusResponse), as they do for src/ in the other test files.
 */
let stack: StackHandle;
let blobs: BlobStore;
let entry: string;
beforeAll(async () => {
  entry = await buildApp();
  stack = await upStack('azure-durable-functions', { settings: { DF_APP_ENTRY: entry } });
  blobs = blobStoreFromEnv(stack.env);
});
afterAll(() => stack?.down());
beforeEach(() => mockLlm.neutral(stack.llmUrl));

describe('the bundled Functions app behind its own HTTP starter', () => {
  it('registers the same functions from dist/ and answers through its HTTP function', async () => {
    const log = await readFile(stack.logPath('functions-host'), 'utf8');
    expect(log).toContain(`app ${entry};`);
    expect(log).toMatch(
      /invoiceOrchestrator\(orchestrationTrigger\), splitPdf\(activityTrigger\), extractPage\(activityTrigger\), aggregateInvoice\(activityTrigger\), recordDecision\(activityTrigger\), invoiceApi\(httpTrigger\)/,
    );
    expect(log).toContain("HTTP (app's HTTP functions)");
  });

  it('the durable client sees the instance through the management API, keyed by the invoice id', async () => {
    const sample = SAMPLES.find((s) => s.pages === 3)!;
    const { status, body } = await postSample(stack, sample, true);
    expect(status).toBe(200);
    expect(serializeInvoice(body.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
    const instance = (await (
      await fetch(`${stack.apiUrl}/runtime/webhooks/durabletask/instances/${body.id}`)
    ).json()) as {
      runtimeStatus: string;
      name: string;
      output: { invoiceKey: string };
    };
    expect(instance).toMatchObject({ runtimeStatus: 'Completed', name: 'invoiceOrchestrator' });
    expect(instance.output.invoiceKey).toBe(`invoices/${body.id}/invoice.json`);
  });
});

describeConformance({
  name: 'azure-durable-functions (dist bundle, app HTTP starter)',
  stack: () => ({ apiUrl: stack.apiUrl, llmUrl: stack.llmUrl, blobs }),
});
