import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { blobStoreFromEnv } from '@invoice/shared/blob/from-env';
import type { BlobStore } from '@invoice/shared/blob/store';
import { createInvoiceApp } from '@invoice/shared/contract/app';
import * as df from 'durable-functions';
import { durableClientOrchestrator } from './client-orchestrator';

let blobs: BlobStore | undefined;

/**
 * The HTTP starter: one catch-all HTTP trigger that hands the request to the shared contract app
 * (validation, upload, error shape), with the durable client as its orchestrator. An accepted
 * upload (202) also carries what a Durable Functions starter returns: the body of
 * `createCheckStatusResponse` (id, statusQueryGetUri, sendEventPostUri, terminatePostUri, ...),
 * so the extension's own management API can be used on the instance.
 */
export async function invoiceApi(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  blobs ??= blobStoreFromEnv();
  const client = df.getClient(context);
  const app = createInvoiceApp({ orchestrator: durableClientOrchestrator(client), blobs });
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const response = await app.fetch(
    new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
    }),
  );
  if (response.status === 202) {
    const accepted = (await response.json()) as { id: string };
    const management = (await client.createCheckStatusResponse(request, accepted.id).json()) as object;
    return {
      status: 202,
      headers: Object.fromEntries(response.headers),
      jsonBody: { ...management, ...accepted },
    };
  }
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}
