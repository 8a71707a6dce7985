import { RefinementUnsuccessfulError, type RefinementClient } from '../../src/client/refinements';

/** Waits for the refinement's end and returns how it failed; fails the test if it succeeded. */
export async function failureOf(client: RefinementClient, taskId: string): Promise<RefinementUnsuccessfulError> {
  try {
    const result = await client.result(taskId);
    throw new Error(`refinement ${taskId} completed (${JSON.stringify(result)}) but was expected to fail`);
  } catch (err) {
    if (err instanceof RefinementUnsuccessfulError) return err;
    throw err;
  }
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
