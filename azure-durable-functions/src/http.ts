import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { createInvoiceApp } from '@invoice/shared/contract/app';
import * as df from 'durable-functions';
import { durableClientOrchestrator } from './client-orchestrator';

let blobs: BlobStore | undefined;

/**
 * The HTTP starter: one catch-all HTTP trigger that hands the request to the shared contract app
 * (validation, upload, error shape), with the durable client as its orchestrator.
 */
export async function invoiceApi(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  blobs ??= blobStoreFromEnv();
  const app = createInvoiceApp({
    orchestrator: durableClientOrchestrator(df.getClient(context), request),
    blobs,
  });
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const response = await app.fetch(
    new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
    }),
  );
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}
