import { readFile } from 'node:fs/promises';
import type { StatusBody } from '@invoice/shared/contract/types';
import { serializeInvoice } from '@invoice/shared/domain/aggregate';
import { SAMPLES } from '@invoice/shared/samples/corpus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackHandle, upStack } from './launcher';
import { pidAlive as isAlive } from './pids';

const healthy = (url: string) =>
  fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );

describe('stack launcher (real processes)', () => {
  let stack: StackHandle;
  beforeAll(async () => {
    stack = await upStack('reference');
  });
  afterAll(() => stack?.down());

  it('starts every process in order, each ready, and the stack serves an invoice', async () => {
    expect(stack.processes.map((p) => p.name)).toEqual(['mock-llm', 'api']);
    for (const p of stack.processes) expect(isAlive(stack.pid(p.name))).toBe(true);
    const sample = SAMPLES[0]!;
    const response = await fetch(`${stack.apiUrl}/api/invoices?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: await readFile(sample.pdfPath),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as StatusBody;
    expect(serializeInvoice(body.invoice!)).toBe(await readFile(sample.goldenPath, 'utf8'));
    expect(await readFile(stack.logPath('api'), 'utf8')).toContain('listening');
  });

  it('kill sends SIGKILL to one process; restart brings it back on the same port', async () => {
    const pid = stack.pid('api');
    await stack.kill('api');
    expect(isAlive(pid)).toBe(false);
    expect(await readFile(stack.logPath('api'), 'utf8')).toContain(
      `(pid ${pid}) exited: code null, signal SIGKILL`,
    );
    expect(await healthy(stack.apiUrl)).toBe(false);
    expect(await healthy(stack.llmUrl)).toBe(true);
    await stack.restart('api');
    expect(stack.pid('api')).not.toBe(pid);
    expect(await healthy(stack.apiUrl)).toBe(true);
  });

  it('a process that exits on its own is restarted by the supervisor, and the exit is logged', async () => {
    const pid = stack.pid('api');
    const llmPid = stack.pid('mock-llm');
    await stack.crash('api', 'SIGKILL');
    await stack.whenReady('api');
    expect(stack.pid('api')).not.toBe(pid);
    expect(isAlive(stack.pid('api'))).toBe(true);
    expect(stack.pid('mock-llm')).toBe(llmPid);
    expect(stack.status().find((p) => p.name === 'api')).toMatchObject({
      ready: true,
      wanted: true,
      restarts: 1,
    });
    expect(await readFile(stack.logPath('api'), 'utf8')).toContain(
      `(pid ${pid}) exited: code null, signal SIGKILL; the supervisor restarts it`,
    );
    expect(await healthy(stack.apiUrl)).toBe(true);
  });

  it('a killed process stays down (fault injection opts out of supervision) until restart', async () => {
    const before = stack.status().find((p) => p.name === 'api')!.restarts;
    await stack.kill('api');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // well past the first backoff (100 ms)
    expect(stack.status().find((p) => p.name === 'api')).toMatchObject({ running: false, wanted: false });
    expect(await healthy(stack.apiUrl)).toBe(false);
    await stack.restart('api');
    expect(stack.status().find((p) => p.name === 'api')).toMatchObject({ ready: true, restarts: before });
  });

  it('down stops every process', async () => {
    const pids = stack.processes.map((p) => stack.pid(p.name));
    await stack.down();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(await healthy(stack.llmUrl)).toBe(false);
  });

  it('refuses an unknown stack with the list of known ones', async () => {
    await expect(upStack('nope')).rejects.toThrow(/unknown stack "nope"; known: .*reference/);
  });
});
