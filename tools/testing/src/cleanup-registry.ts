/**
 * Everything a test starts that outlives a failed assertion (app processes, brokers, proxies,
 * scratch databases) registers its cleanup here. The Jest setup (jest-setup.ts) runs the cleanups
 * of a test in afterEach and those of a suite (started in beforeAll) in afterAll, so that a test
 * that fails half-way leaks nothing into the next one or into the machine.
 */

/** Something that can be torn down; `close` must be safe to call twice. */
export interface Cleanup {
  readonly what: string;
  close(): Promise<void>;
}

interface Entry {
  readonly cleanup: Cleanup;
  /** The test that registered it, or null for beforeAll (suite scope). */
  readonly test: string | null;
}

const entries: Entry[] = [];
let currentTest: string | null = null;

/** The test running now (null in beforeAll / afterAll and outside Jest). */
export function runningTest(): string | null {
  return currentTest;
}

/** Called by the Jest setup around every test. */
export function enterTest(name: string | null): void {
  currentTest = name;
}

/** Registers `cleanup` in the scope of the running test (or of the suite). */
export function registerCleanup(cleanup: Cleanup): void {
  entries.push({ cleanup, test: currentTest });
}

/**
 * Closes what the scope registered, newest first (apps before the database they use). With
 * `test` null it closes everything that is left. Failures of a cleanup are collected, not
 * thrown, so that one stuck process does not keep the others alive.
 */
export async function cleanUp(test: string | null): Promise<string[]> {
  const problems: string[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (test !== null && e.test !== test) continue;
    entries.splice(i, 1);
    try {
      await e.cleanup.close();
    } catch (err) {
      problems.push(`${e.cleanup.what}: ${(err as Error).message}`);
    }
  }
  return problems;
}
