import { join } from 'node:path';
import { azuriteConnectionString } from '@invoice/shared/blob/azure';
import type { ProcessSpec, TopologyContext } from '../launcher/topology';

/** Azurite's blob service (from npm) as one process of a stack, on a free port, data under runDir. */
export async function azuriteProcess(
  ctx: TopologyContext,
): Promise<{ process: ProcessSpec; connectionString: string }> {
  const port = await ctx.port('azurite-blob');
  return {
    connectionString: azuriteConnectionString(port),
    process: {
      name: 'azurite',
      kind: 'storage',
      killable: false,
      command: process.execPath,
      args: [
        join(ctx.repoRoot, 'tools/node_modules/azurite/dist/src/blob/main.js'),
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--location',
        join(ctx.runDir, 'azurite'),
        '--silent',
        '--skipApiVersionCheck',
        '--loose',
        // Azurite sends telemetry to Application Insights unless told not to
        // (dist/src/blob/main.js: AzuriteTelemetryClient.init(location, !env.disableTelemetry(), env)).
        // azuriteTelemetry=on exists only for the test that shows the no-outbound check catches it.
        ...(ctx.settings.azuriteTelemetry === 'on' ? [] : ['--disableTelemetry']),
      ],
      ready: { tcp: port },
    },
  };
}

/** A stack of Azurite alone, for the blob store's own tests. */
export default async function topology(ctx: TopologyContext) {
  const azurite = await azuriteProcess(ctx);
  return {
    stack: 'azurite',
    description: 'Azurite blob service',
    processes: [azurite.process],
    sharedEnv: { BLOB_STORE: 'azure', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
  };
}
