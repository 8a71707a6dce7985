/**
 * Ends every run with one plain line, "Tests: N passed, N failed, N skipped", which CI tooling reads
 * regardless of language (jest's own summary says "N passed, N total").
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\nTests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
