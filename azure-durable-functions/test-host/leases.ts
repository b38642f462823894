import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Control-queue partition leases, as DurableTask.AzureStorage's partition manager keeps them
 * (blob leases of LeaseInterval, renewed every LeaseRenewInterval, tried every LeaseAcquireInterval
 * by workers that do not hold them). A worker that dies keeps its leases until they expire: the
 * next worker cannot process that partition's control-queue messages before then.
 * Stored as one JSON file per partition in `<dir>/_host/`, next to the host's event journal, in
 * which every acquisition (with the previous owner's expiry) and every redelivery is recorded so
 * tests can check the recovery order against what the host itself wrote.
 */
export type Lease = { owner: string; acquiredAt: string; renewedAt: string; expiresAt: string };
export type JournalEntry =
  | { kind: 'lease-acquired'; at: string; owner: string; partition: number; previous?: Lease }
  | {
      kind: 'redelivered';
      at: string;
      owner: string;
      queue: 'control' | 'workitem';
      instanceId: string;
      key: string;
      visibleAt: string;
      partition?: number;
    };

export type LeaseTimings = {
  leaseIntervalMs: number;
  leaseRenewIntervalMs: number;
  leaseAcquireIntervalMs: number;
};

export class PartitionLeases {
  readonly owner = `test-host-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly owned = new Set<number>();
  private readonly waiting = new Map<number, Array<() => void>>();
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly hostDir: string;

  constructor(
    dir: string,
    private readonly partitionCount: number,
    private readonly timings: LeaseTimings,
  ) {
    this.hostDir = join(dir, '_host');
  }

  holds(partition: number): boolean {
    return this.owned.has(partition);
  }

  /** Resolves once this host owns the partition. */
  whenOwned(partition: number): Promise<void> {
    if (this.holds(partition)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiting.get(partition) ?? [];
      list.push(resolve);
      this.waiting.set(partition, list);
    });
  }

  /** Starts acquiring every partition (at once, then every LeaseAcquireInterval) and renewing those held. */
  async start(): Promise<void> {
    await mkdir(this.hostDir, { recursive: true });
    for (let p = 0; p < this.partitionCount; p++) void this.acquireLoop(p);
    this.every(this.timings.leaseRenewIntervalMs, () => this.renewAll());
  }

  /** Stops acquiring and renewing; the leases run out on their own, as a dead worker's do. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }

  /** Graceful shutdown releases the leases (as the real host does); a SIGKILL never gets here. */
  async release(): Promise<void> {
    this.stop();
    const now = new Date().toISOString();
    for (const p of this.owned) {
      const lease = await this.read(p);
      if (lease?.owner === this.owner) await this.write(p, { ...lease, renewedAt: now, expiresAt: now });
    }
    this.owned.clear();
  }

  async journal(entry: JournalEntry): Promise<void> {
    await appendFile(join(this.hostDir, 'journal.jsonl'), `${JSON.stringify(entry)}\n`);
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const tick = () => {
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void fn().finally(tick);
      }, ms);
      this.timers.add(t);
    };
    tick();
  }

  private async acquireLoop(partition: number): Promise<void> {
    while (!this.stopped && !this.holds(partition)) {
      const current = await this.read(partition);
      const now = Date.now();
      if (!current || current.owner === this.owner || Date.parse(current.expiresAt) <= now) {
        const at = new Date(now).toISOString();
        await this.write(partition, {
          owner: this.owner,
          acquiredAt: at,
          renewedAt: at,
          expiresAt: new Date(now + this.timings.leaseIntervalMs).toISOString(),
        });
        await this.journal({
          kind: 'lease-acquired',
          at,
          owner: this.owner,
          partition,
          ...(current ? { previous: current } : {}),
        });
        this.owned.add(partition);
        for (const resolve of this.waiting.get(partition) ?? []) resolve();
        this.waiting.delete(partition);
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, this.timings.leaseAcquireIntervalMs);
        this.timers.add(t);
      });
    }
  }

  private async renewAll(): Promise<void> {
    const now = Date.now();
    for (const p of this.owned) {
      const lease = await this.read(p);
      if (!lease) continue;
      await this.write(p, {
        ...lease,
        renewedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + this.timings.leaseIntervalMs).toISOString(),
      });
    }
  }

  private file(partition: number): string {
    return join(this.hostDir, `lease-${partition}.json`);
  }

  async read(partition: number): Promise<Lease | undefined> {
    return readLease(this.hostDir, partition);
  }

  private async write(partition: number, lease: Lease): Promise<void> {
    const tmp = `${this.file(partition)}.${this.owner}.tmp`;
    await writeFile(tmp, JSON.stringify(lease));
    await rename(tmp, this.file(partition));
  }
}

export async function readLease(hostDir: string, partition: number): Promise<Lease | undefined> {
  const text = await readFile(join(hostDir, `lease-${partition}.json`), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as Lease) : undefined;
}

export async function readJournal(dir: string): Promise<JournalEntry[]> {
  const text = await readFile(join(dir, '_host', 'journal.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JournalEntry);
}
