/**
 * Nothing phones home: each stack runs one invoice with every one of its processes under
 * `strace -f -e trace=connect` (the launcher's INVOICE_TRACE_CONNECT_DIR), and any connect(2)
 * outside loopback fails the test with the process and the address. A DNS lookup is a connect to
 * the resolver, so an attempt is caught even where the network would refuse it. Each stack is
 * started once, in turn; the last test shows the check catches Azurite with its telemetry on.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AzureBlobStore } from '@invoice/shared/blob/azure';
import { describe, expect, it } from 'vitest';
import { upStack } from '../launcher/launcher';
import { invoiceStacks } from '../launcher/registry';
import { describeConnect, isLoopback, outboundConnects, parseConnects } from './outbound';
import { expectGolden, runToEnd, sample } from './stack-client';

async function traced<T>(run: (dir: string) => Promise<T>): Promise<{ dir: string; result: T }> {
  const dir = await mkdtemp(join(tmpdir(), 'connect-trace-'));
  process.env.INVOICE_TRACE_CONNECT_DIR = dir;
  try {
    return { dir, result: await run(dir) };
  } finally {
    delete process.env.INVOICE_TRACE_CONNECT_DIR;
  }
}

describe('the connect trace', () => {
  it('reads IPv4 and IPv6 connects and ignores Unix sockets', () => {
    const trace = [
      '12  connect(20, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
      '13 connect(5, {sa_family=AF_INET6, sin6_port=htons(7233), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '14 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
    ].join('\n');
    expect(parseConnects('x', trace)).toEqual([
      { process: 'x', pid: 12, address: '10.255.255.53', port: 53 },
      { process: 'x', pid: 13, address: '::1', port: 7233 },
    ]);
    expect(['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.255.255.53', '13.107.4.50', '::ffff:10.0.0.1', '2001:db8::1'].some(isLoopback)).toBe(false);
  });
});

describe('no process of any stack connects outside loopback', () => {
  for (const stack of invoiceStacks()) {
    it(`${stack}: one invoice, and no connect outside 127.0.0.0/8 or ::1`, { timeout: 300_000 }, async () => {
      const { dir, result: processes } = await traced(async () => {
        const handle = await upStack(stack);
        try {
          await expectGolden(await runToEnd(handle.apiUrl, sample(3)), sample(3));
          return handle.processes.map((p) => p.name);
        } finally {
          await handle.down();
        }
      });
      // Every process of the stack ran under the tracer.
      expect((await readdir(dir)).sort()).toEqual(processes.map((name) => `${name}.trace`).sort());
      const outbound = await outboundConnects(dir);
      expect(outbound.map(describeConnect), `connect traces in ${dir}`).toEqual([]);
    });
  }

  it('catches Azurite started without --disableTelemetry (its Application Insights client)', {
    timeout: 120_000,
  }, async () => {
    const { dir, result } = await traced(async (traceDir) => {
      const handle = await upStack('azurite', { settings: { azuriteTelemetry: 'on' } });
      try {
        const blobs = new AzureBlobStore(handle.env.AZURE_STORAGE_CONNECTION_STRING!, 'telemetry-check');
        await blobs.put('hello.txt', 'hello');
        const deadline = Date.now() + 90_000;
        for (;;) {
          const outbound = await outboundConnects(traceDir);
          if (outbound.length > 0 || Date.now() > deadline) return outbound;
          await sleep(500);
        }
      } finally {
        await handle.down();
      }
    });
    expect(result.length, `connect traces in ${dir}`).toBeGreaterThan(0);
    expect(result.every((c) => c.process === 'azurite')).toBe(true);
    console.log(`[no-outbound] azurite with telemetry: ${result.map(describeConnect).join('; ')}`);
  });
});
