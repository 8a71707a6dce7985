/**
 * Honest outcomes on the web page, in Chromium against the real gateway and worker (the local
 * refiner): the configured refiner and what it understands beside the prompt; a finished refinement's
 * outcome (the "partly applied" badge, what was applied and what was not, the same as the API says);
 * a prompt the refiner cannot act on shown as such; and "Refine again" pre-filled with the theme as
 * the person wrote it.
 */
import { screenshot } from '../browser';
import { devLogin, expectAccessible, fillRequest, gateway, open, png, STAGE_TIMEOUT, startWebPageSession } from './session';

describe('refiner outcomes on the web page', () => {
  const user = `olivia-${process.pid}-${Date.now()}`;
  startWebPageSession();

  /** The refinement view as the API answers it to the signed-in page. */
  const viewOf = (page: Awaited<ReturnType<typeof open>>['page'], taskId: string) =>
    page.evaluate(async (id: string) => {
      const g = globalThis as any;
      const answer = await g.fetch(`/v1/refinements/${id}`, { headers: { authorization: `Bearer ${g.sessionStorage.getItem('refinery.credential')}` } });
      return answer.json();
    }, taskId);

  test('hints beside the prompt; a partly applied refinement lists what was applied and what was not; refine again keeps the theme', async () => {
    const tab = await open();
    const { page } = tab;
    await devLogin(tab, user);
    const limits = (await (await gateway.fetch('/v1/limits')).json()) as any;
    const hints = page.getByTestId('refiner-hints').first();
    await hints.waitFor();
    expect(await hints.getByTestId('refiner-name').textContent()).toBe(limits.refiner.refiner);
    await hints.getByText('What it understands, with examples').click();
    for (const kind of limits.refiner.instructions) await hints.getByText(kind.description, { exact: false }).first().waitFor();
    // The hints are read with the prompt field.
    expect(await page.getByLabel('What to change').getAttribute('aria-describedby')).toContain('prompt-hint');

    await fillRequest(tab, { name: 'fox.png', mimeType: 'image/png', buffer: png }, 'Make it warmer and add a tiny hat');
    await page.getByRole('button', { name: 'Start refinement' }).click();
    await page.waitForURL(/#\/refinements\/[0-9a-f-]{36}$/);
    const taskId = decodeURIComponent(page.url().split('/').pop()!);
    // While it runs there is no outcome to show.
    await page.locator('[data-stage="refine"][data-state="running"]').waitFor({ timeout: STAGE_TIMEOUT });
    expect(await page.getByTestId('outcome').count()).toBe(0);
    await page.getByTestId('status').getByText('Completed', { exact: true }).waitFor({ timeout: STAGE_TIMEOUT });

    const view = await viewOf(page, taskId);
    expect(view.outcome.status).toBe('partly-applied');
    await expect(page.getByTestId('outcome-status').textContent()).resolves.toBe('Partly applied');
    await expect(page.getByTestId('applied').locator('li').allTextContents()).resolves.toEqual(view.outcome.applied);
    await expect(page.getByTestId('not-applied').locator('li').allTextContents()).resolves.toEqual(view.outcome.notApplied);
    // Notes that only repeat the outcome are not listed again.
    expect(await page.getByText(`applied: ${view.outcome.applied[0]}`, { exact: true }).count()).toBe(0);
    expect(view.outcome.notApplied.join(' ')).toMatch(/hat/);
    await expectAccessible(page);
    await screenshot(page, 'partly-applied');

    // Refine again starts from the theme as typed, with the same hints beside its prompt.
    const again = page.getByRole('region', { name: 'Refine again' });
    await again.getByLabel('Theme description').waitFor();
    expect(await again.getByLabel('Theme description').inputValue()).toBe('Modern tech');
    await again.getByTestId('refiner-hints').waitFor();
  }, 240_000);

  test('a prompt the refiner cannot act on: failed, with the refiner\'s message and what to do', async () => {
    const tab = await open();
    const { page } = tab;
    await devLogin(tab, user);
    await fillRequest(tab, { name: 'fox.png', mimeType: 'image/png', buffer: png }, 'Write a sonnet about the sea');
    await page.getByRole('button', { name: 'Start refinement' }).click();
    await page.waitForURL(/#\/refinements\/[0-9a-f-]{36}$/);
    const taskId = decodeURIComponent(page.url().split('/').pop()!);
    await page.getByTestId('status').getByText('Failed', { exact: true }).waitFor({ timeout: STAGE_TIMEOUT });
    const view = await viewOf(page, taskId);
    expect(view).toMatchObject({ failureType: 'InstructionsNotUnderstoodError', outcome: null });
    const failure = page.getByTestId('failure');
    await failure.getByText('The refiner could not act on this prompt.').waitFor();
    // The refiner's own message, without the task and stage the page already shows.
    expect(view.lastFailure).toBe(`task ${taskId}, refine: ${await failure.getByTestId('failure-message').textContent()}`);
    await expect(failure.getByRole('link', { name: 'Start a new refinement' }).getAttribute('href')).resolves.toBe('#/new');
    expect(await page.locator('[data-stage="refine"]').getAttribute('data-state')).toBe('failed');
    expect(await page.getByTestId('outcome').count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, 'not-understood');
  }, 240_000);
});
