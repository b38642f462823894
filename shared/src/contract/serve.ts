import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { blobStoreFromEnv } from '../blob/from-env';
import { createInvoiceApp, type InvoiceAppOptions } from './app';

export type Served = { url: string; port: number; close(): Promise<void> };

/** Serves any hono app on HOST:PORT (127.0.0.1 and an ephemeral port by default). */
export function serveApp(app: Hono, options: { port?: number; host?: string } = {}): Promise<Served> {
  const host = options.host ?? process.env.HOST ?? '127.0.0.1';
  const wanted = options.port ?? Number(process.env.PORT ?? 0);
  return new Promise((resolve) => {
    const server: ServerType = serve({ fetch: app.fetch, hostname: host, port: wanted }, (info) => {
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    // ?wait=true requests may legitimately take minutes.
    server.setTimeout?.(0);
    (server as { requestTimeout?: number }).requestTimeout = 0;
  });
}

/** The API process of a stack: the common contract over one orchestrator. */
export async function serveInvoiceApi(
  options: Omit<InvoiceAppOptions, 'blobs'> &
    Partial<Pick<InvoiceAppOptions, 'blobs'>> & { port?: number; host?: string },
): Promise<Served> {
  const app = createInvoiceApp({ ...options, blobs: options.blobs ?? blobStoreFromEnv() });
  const served = await serveApp(app, options);
  console.log(`[${options.orchestrator.name}] invoice API listening on ${served.url}`);
  return served;
}
