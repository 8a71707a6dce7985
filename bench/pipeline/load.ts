/** What every section of the pipeline benchmark uses to make load and wait for it. */
import { performance } from 'node:perf_hooks';
import type { RefinementInput } from '../../src/workflows/types';

let taskCounter = 0;

/** A refinement request with a task id unique to this benchmark process. */
export function request(originalImageUrl: string): RefinementInput {
  return {
    taskId: `bench-${process.pid}-${++taskCounter}`,
    userId: 'bench',
    originalImageUrl,
    refinementPrompt: 'Make it more autumn-themed with orange and red',
    logoDescription: 'A minimalist fox',
    themeDescription: 'Modern tech with autumn colors',
  };
}

export async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** `total` runs, `inFlight` at a time; returns the wall time. */
export async function concurrently(total: number, inFlight: number, run: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await run();
    }),
  );
  return performance.now() - started;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The value after `--name` on the command line; undefined when the flag is absent. */
export function option(name: string, argv: readonly string[] = process.argv.slice(2)): string | undefined {
  const at = argv.indexOf(name);
  if (at < 0) return undefined;
  const value = argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}
