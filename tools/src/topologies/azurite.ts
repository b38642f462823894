import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { azuriteConnectionString } from '@invoice/shared/blob/azure';
import type { ProcessSpec, TopologyContext } from '../launcher/topology';

/**
 * MariaDB (Debian's mariadb-server) holding Azurite's metadata. Azurite's default metadata store
 * is LokiJS kept in memory and saved every 5 s (autosave: true, autosaveInterval: 5000 in
 * dist/src/blob/persistence/LokiBlobMetadataStore.js and common/persistence/LokiExtentMetadataStore.js,
 * not configurable), so a SIGKILL drops up to 5 s of acknowledged blobs. With AZURITE_DB set it
 * keeps metadata in MySQL/MariaDB instead (dist/src/blob/BlobServerFactory.js), and its blob
 * bytes are fdatasync'ed before a write is acknowledged (common/persistence/FSExtentStore.js):
 * nothing acknowledged is lost when Azurite is killed. Loopback only, no users (--skip-grant-tables);
 * the one database is created by the init file. The data folder is bootstrapped once with
 * mariadb-install-db (which shuts down cleanly): a data folder that mariadbd created itself is not
 * crash-safe until its first checkpoint (a SIGKILL a minute after the start left ibdata1's header
 * page zeroed and InnoDB refused to start: "The data file './ibdata1' has the wrong space ID").
 */
function metadataDb(ctx: TopologyContext, port: number): ProcessSpec {
  const dir = join(ctx.runDir, 'azurite-metadata');
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (!existsSync(join(dir, 'data', 'mysql'))) {
    execFileSync(
      '/usr/bin/mariadb-install-db',
      ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--user=root', '--skip-test-db'],
      { stdio: 'ignore' },
    );
  }
  writeFileSync(join(dir, 'init.sql'), 'CREATE DATABASE IF NOT EXISTS azurite;\n');
  return {
    name: 'azurite-metadata',
    kind: 'storage',
    // InnoDB is crash-safe, but Azurite's reconnect after a database restart is untested here.
    killable: false,
    command: '/usr/sbin/mariadbd',
    args: [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--socket=${join(dir, 'mariadb.sock')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      '--skip-grant-tables',
      `--init-file=${join(dir, 'init.sql')}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
    ],
    ready: { log: /ready for connections/ },
  };
}

/**
 * Azurite's blob service (from npm) as a process of a stack, on a free port, data under runDir,
 * its metadata in MariaDB (metadataDb above) so that it survives a SIGKILL; the setting
 * azuriteMetadata=loki keeps Azurite's own in-memory store (and its 5 s window of loss).
 */
export async function azuriteProcess(
  ctx: TopologyContext,
): Promise<{ processes: ProcessSpec[]; connectionString: string }> {
  const port = await ctx.port('azurite-blob');
  const durable = ctx.settings.azuriteMetadata !== 'loki';
  const dbPort = durable ? await ctx.port('azurite-metadata') : 0;
  const db = durable ? metadataDb(ctx, dbPort) : undefined;
  const azurite: ProcessSpec = {
    name: 'azurite',
    kind: 'storage',
    // Durable only with its metadata in MariaDB: then the chaos kit may kill it like any engine.
    killable: durable,
    ...(db
      ? {
          env: { AZURITE_DB: `mysql://root@127.0.0.1:${dbPort}/azurite` },
          dependsOn: [db.name],
        }
      : {}),
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
  };
  return {
    connectionString: azuriteConnectionString(port),
    processes: db ? [db, azurite] : [azurite],
  };
}

/** A stack of Azurite alone, for the blob store's own tests. */
export default async function topology(ctx: TopologyContext) {
  const azurite = await azuriteProcess(ctx);
  return {
    stack: 'azurite',
    description: 'Azurite blob service',
    processes: azurite.processes,
    sharedEnv: { BLOB_STORE: 'azure', AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
  };
}
