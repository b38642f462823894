import { describe, expect, it } from 'vitest';
import { formatTimeSpan, hostSettings, partitionOf, timeSpanMs } from '../test-host/host-settings';

describe('host.json settings as the test host applies them', () => {
  it('falls back to the real defaults when host.json is silent', () => {
    expect(hostSettings({}, 2)).toEqual({
      taskHub: 'TestHubName',
      routePrefix: 'api',
      maxConcurrentActivities: 20,
      partitionCount: 4,
      controlQueueVisibilityTimeoutMs: 5 * 60_000,
      workItemQueueVisibilityTimeoutMs: 5 * 60_000,
      maxQueuePollingIntervalMs: 30_000,
      leaseIntervalMs: 30_000,
      leaseRenewIntervalMs: 10_000,
      leaseAcquireIntervalMs: 10_000,
      functionTimeoutMs: 5 * 60_000,
    });
  });

  it('reads the extension keys and functionTimeout from host.json', () => {
    const s = hostSettings(
      {
        functionTimeout: '00:10:00',
        extensions: {
          durableTask: {
            hubName: 'InvoiceHub',
            storageProvider: {
              partitionCount: 8,
              controlQueueVisibilityTimeout: '00:00:06',
              workItemQueueVisibilityTimeout: '00:01:30.5',
              maxQueuePollingInterval: '00:00:01',
            },
          },
        },
      },
      2,
    );
    expect(s).toMatchObject({
      taskHub: 'InvoiceHub',
      partitionCount: 8,
      controlQueueVisibilityTimeoutMs: 6000,
      workItemQueueVisibilityTimeoutMs: 90_500,
      maxQueuePollingIntervalMs: 1000,
      functionTimeoutMs: 600_000,
    });
  });

  it('parses and prints TimeSpans as .NET writes them', () => {
    expect(timeSpanMs('1.02:03:04')).toBe(((26 * 60 + 3) * 60 + 4) * 1000);
    expect(() => timeSpanMs('5m')).toThrow(/not a TimeSpan/);
    expect(formatTimeSpan(5000)).toBe('00:00:05');
    expect(formatTimeSpan(3_723_000)).toBe('01:02:03');
  });

  it('picks control-queue partitions with FNV-1a over the instance id, as DurableTask.AzureStorage does', () => {
    // FNV-1a 32-bit test vectors: "" -> 0x811c9dc5, "a" -> 0xe40c292c.
    expect(partitionOf('', 0x811c9dc5 + 1)).toBe(0x811c9dc5);
    expect(partitionOf('a', 0xe40c292c + 1)).toBe(0xe40c292c);
    const spread = new Set(Array.from({ length: 64 }, (_, i) => partitionOf(`invoice-${i}`, 4)));
    expect(spread).toEqual(new Set([0, 1, 2, 3]));
  });
});
