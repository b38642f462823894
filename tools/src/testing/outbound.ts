import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One connect(2) to an IP address, as `strace -f -e trace=connect` printed it. */
export type Connect = { process: string; pid: number; address: string; port: number };

// 1234 connect(21, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("13.107.4.50")}, 16) = ...
// 1234 connect(21, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=..., inet_pton(AF_INET6, "::1", &sin6_addr), ...
const INET =
  /^(\d+)\s+connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\).*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")/;

/** Every connect to an IP address in one trace file (Unix sockets and netlink are not network). */
export function parseConnects(process: string, trace: string): Connect[] {
  const connects: Connect[] = [];
  for (const line of trace.split('\n')) {
    const m = INET.exec(line);
    if (m) connects.push({ process, pid: Number(m[1]), port: Number(m[2]), address: (m[3] ?? m[4])! });
  }
  return connects;
}

/** Loopback: 127.0.0.0/8, ::1, their IPv4-mapped form, and the unspecified address (= this host). */
export function isLoopback(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, '');
  return /^127\.\d+\.\d+\.\d+$/.test(v4) || v4 === '0.0.0.0' || address === '::1' || address === '::';
}

/** Every connect outside loopback in the traces of a run, named by the process that made it. */
export async function outboundConnects(traceDir: string): Promise<Connect[]> {
  const files = (await readdir(traceDir)).filter((f) => f.endsWith('.trace'));
  const all = await Promise.all(
    files.map(async (f) =>
      parseConnects(f.slice(0, -'.trace'.length), await readFile(join(traceDir, f), 'utf8')),
    ),
  );
  return all.flat().filter((c) => !isLoopback(c.address));
}

export const describeConnect = (c: Connect) => `${c.process} (pid ${c.pid}) -> ${c.address}:${c.port}`;
