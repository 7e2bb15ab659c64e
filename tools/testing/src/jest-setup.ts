/**
 * Jest setup of the end-to-end tests (setupFilesAfterEnv). Around every test it:
 * - stops what the test started and did not stop (a test that fails half-way leaks nothing);
 * - fails the test when an app logged an error-level line that the test did not declare with
 *   AppProcess.allowErrors(): an error that passes silently is a bug that nobody sees.
 * After the suite it does the same for what beforeAll started.
 */
/// <reference types="jest" />
import { takeUnexpectedErrors } from './app-process';
import { cleanUp, enterTest, runningTest } from './cleanup-registry';

let tests = 0;

beforeEach(() => {
  enterTest(`#${++tests} ${expect.getState().currentTestName ?? ''}`);
});

afterEach(async () => {
  const test = runningTest();
  enterTest(null);
  await check(await cleanUp(test));
});

afterAll(async () => {
  await check(await cleanUp(null));
});

async function check(cleanupProblems: string[]): Promise<void> {
  const errors = takeUnexpectedErrors();
  if (errors.length === 0 && cleanupProblems.length === 0) return;
  const lines = errors
    .slice(0, 10)
    .map(
      (e) => `  ${e.app} (pid ${e.pid}, ${e.test ?? 'outside a test'}): ${e.text.slice(0, 1500)}`,
    );
  throw new Error(
    [
      ...(errors.length > 0
        ? [`${errors.length} unexpected error line(s) logged by the apps:`, ...lines]
        : []),
      ...cleanupProblems.map((p) => `cleanup failed: ${p}`),
    ].join('\n'),
  );
}
