// Prints the plain closing line CI reads ("N passed, N failed") and fails on skipped tests:
// a test skipped for a missing engine is a failure here, never a silent pass.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
const skippedNames = report.testResults.flatMap((file) =>
  file.assertionResults
    .filter((t) => t.status === 'pending' || t.status === 'skipped' || t.status === 'todo')
    .map((t) => `${file.name}: ${t.fullName}`),
);
for (const name of skippedNames) console.log(`skipped: ${name}`);
const failedFiles = report.testResults.filter(
  (f) => f.status === 'failed' && f.assertionResults.length === 0,
).length;
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests + failedFiles} failed, ${skipped} skipped`,
);
process.exit(report.numFailedTests + failedFiles + skipped > 0 || report.numTotalTests === 0 ? 1 : 0);
