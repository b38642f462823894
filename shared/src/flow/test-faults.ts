import { WorkBudgetError } from '../pdf/budget';

/**
 * TEST ONLY. With SPLIT_TEST_FAULTS=1 in a worker's environment, split honours a marker comment
 * after the PDF's %%EOF, so an integration test can make one chosen upload misbehave while the
 * others in flight stay normal:
 *
 *   %invoice-test-fault:exit         split SIGKILLs its own process, as the OOM killer or a native
 *                                    crash would: the poison pill every engine must stop retrying
 *   %invoice-test-fault:over-budget  split throws the WorkBudgetError a real over-budget page throws
 *
 * Never set SPLIT_TEST_FAULTS outside tests: anyone who can upload could then kill a worker.
 */
export type TestFault = 'exit' | 'over-budget';

const MARKER = '%invoice-test-fault:';
// Validation accepts %%EOF in the last 1024 bytes, so the marker sits in that window.
const TAIL = 1024;

/** The PDF with a fault marker appended after its end. */
export function withTestFault(pdf: Uint8Array, fault: TestFault): Uint8Array {
  return Buffer.concat([pdf, Buffer.from(`\n${MARKER}${fault}\n`, 'latin1')]);
}

/** What to do for a marked upload, or undefined for an ordinary one. */
export function testFaultOf(pdf: Uint8Array): (() => void) | undefined {
  const tail = Buffer.from(pdf.subarray(Math.max(0, pdf.length - TAIL))).toString('latin1');
  const fault = new RegExp(`${MARKER}([a-z-]+)`).exec(tail)?.[1] as TestFault | undefined;
  if (fault === 'exit') {
    return () => {
      console.error('[test-fault] split kills its own process (SIGKILL)');
      process.kill(process.pid, 'SIGKILL');
    };
  }
  if (fault === 'over-budget') {
    return () => {
      throw new WorkBudgetError('split_budget_exceeded', 'test fault: this upload is over budget by design');
    };
  }
  return undefined;
}
