import { describe, expect, it } from 'vitest';
import { isSourceFile, isTestFile, linesOfCode } from './loc';

describe('lines of code', () => {
  it('counts test-host/ as stack code and test/, *.test.ts as tests', () => {
    expect(isTestFile('test-host/replay-host.ts')).toBe(false);
    expect(isTestFile('test/crash.test.ts')).toBe(true);
    expect(isTestFile('test/helpers.ts')).toBe(true);
    expect(isTestFile('src/engine/store.test.ts')).toBe(true);
    expect(isTestFile('src/testing-notes.ts')).toBe(false);
  });

  it('counts the Python of Prefect: its orchestration file and its code', async () => {
    expect(isSourceFile('src/invoice_flow/flow.py')).toBe(true);
    expect(isSourceFile('requirements.lock')).toBe(false);
    const prefect = await linesOfCode('prefect');
    expect(prefect.orchestrationLines).toBeGreaterThan(50);
    const tsOnly = await linesOfCode('prefect/test');
    expect(prefect.codeLines).toBeGreaterThanOrEqual(prefect.orchestrationLines);
    expect(tsOnly.orchestrationLines).toBe(0);
  });

  it('puts the Durable Functions test host among the stack lines', async () => {
    const withHost = await linesOfCode('azure-durable-functions');
    const orchestrationOnly = await linesOfCode('azure-durable-functions/src');
    expect(withHost.codeLines - orchestrationOnly.codeLines).toBeGreaterThan(500);
  });
});
