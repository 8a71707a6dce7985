/**
 * The web page end to end in Debian's Chromium: the real gateway serving the built page, a real
 * worker process and the Temporal dev server, PostgreSQL. The worker holds every refinement's refine
 * stage for a few seconds (its hold plan), long enough to see it running and to cancel one.
 */
import { screenshot } from '../browser';
import { devLogin, expectAccessible, fillRequest, focusedHeading, gateway, HOLD_MS, loadedWidth, open, opened, png, STAGE_TIMEOUT, startWebPageSession } from './session';

describe('web page', () => {
  let aliceTaskId: string;
  // Every test file shares one PostgreSQL database: a user of this run only, so Alice's history holds
  // just what this file started.
  const alice = `alice-${process.pid}-${Date.now()}`;

  startWebPageSession();

  test('sign in, upload, watch the four stages complete, see both images, find it in the history', async () => {
    const tab = await open();
    const { page } = tab;
    await page.goto(`${gateway.origin}/`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'sign-in');

    await devLogin(tab, alice);
    expect(await focusedHeading(page)).toBe('New refinement');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('refinery.credential') as string | null)).toMatch(/^ey/);
    await fillRequest(tab, { name: 'fox.png', mimeType: 'image/png', buffer: png }, 'Make it warmer with more contrast');
    await page.getByRole('img', { name: 'Preview of the chosen image' }).waitFor();
    await expect(page.getByRole('button', { name: 'Remove shape' }).isVisible()).resolves.toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'new-refinement');

    await page.getByRole('button', { name: 'Start refinement' }).click();
    await page.waitForURL(/#\/refinements\/[0-9a-f-]{36}$/);
    aliceTaskId = decodeURIComponent(page.url().split('/').pop()!);
    expect(page.url()).not.toContain('ey'); // the credential never reaches a URL
    await page.locator('[data-stage="download"][data-state="done"]').waitFor({ timeout: STAGE_TIMEOUT });
    await page.locator('[data-stage="refine"][data-state="running"]').waitFor({ timeout: STAGE_TIMEOUT });
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Make it warmer with more contrast');
    await expectAccessible(page);
    await screenshot(page, 'progress');

    for (const stage of ['download', 'refine', 'storeImage', 'storeConcept']) {
      await page.locator(`[data-stage="${stage}"][data-state="done"]`).waitFor({ timeout: STAGE_TIMEOUT });
    }
    // The board shows the last stage done a moment before the run's end arrives on the stream.
    await page.getByTestId('status').getByText('Completed', { exact: true }).waitFor({ timeout: STAGE_TIMEOUT });
    // The refine stage waited out the hold, and its elapsed time says so.
    const refineElapsed = await page.locator('[data-stage="refine"] .elapsed').textContent();
    expect(parseFloat(refineElapsed!)).toBeGreaterThanOrEqual(HOLD_MS / 1000 - 0.5);

    const original = page.getByRole('img', { name: 'Original image' });
    const refined = page.getByRole('img', { name: 'Refined image' });
    await Promise.all([original.waitFor(), refined.waitFor()]);
    expect(await loadedWidth(original)).toBe(96);
    expect(await loadedWidth(refined)).toBe(96);
    expect(await original.getAttribute('src')).toMatch(new RegExp(`^${gateway.origin}/images/uploads/${aliceTaskId}/original\\?expires=`));
    expect(await refined.getAttribute('src')).toMatch(new RegExp(`^${gateway.origin}/images/refined/${alice}/${aliceTaskId}\\.png\\?expires=`));
    // The refiner's outcome names what it applied.
    await expect(page.getByTestId('applied').locator('li').count()).resolves.toBeGreaterThan(0);
    // The overlay slider works from the keyboard.
    await page.getByLabel(/Refined image shown/).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByText('Refined image shown: 51%').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'result');

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your refinements' }).waitFor();
    expect(await focusedHeading(page)).toBe('Your refinements');
    const item = page.locator(`.history [data-task="${aliceTaskId}"]`);
    await expect(item.textContent()).resolves.toMatch(/Make it warmer with more contrast.*Completed/);
    expect(await loadedWidth(item.locator('img'))).toBe(96);
    await expectAccessible(page);

    await item.getByRole('link').click();
    await page.getByRole('img', { name: 'Refined image' }).waitFor();
    expect(await focusedHeading(page)).toBe('Make it warmer with more contrast');
  }, 240_000);

  test('cancel a slow refinement and see it cancelled', async () => {
    const tab = await open();
    const { page } = tab;
    await devLogin(tab, alice);
    await fillRequest(tab, { name: 'fox.png', mimeType: 'image/png', buffer: png }, 'Make it more autumn-themed');
    await page.getByRole('button', { name: 'Start refinement' }).click();
    await page.locator('[data-stage="refine"][data-state="running"]').waitFor({ timeout: STAGE_TIMEOUT });
    await page.getByLabel('Reason for cancelling (optional)').fill('wrong logo');
    await page.getByRole('button', { name: 'Cancel refinement' }).click();
    await page.getByTestId('status').getByText('Cancelled').waitFor({ timeout: STAGE_TIMEOUT });
    await page.getByText('Cancelled: “wrong logo”').waitFor();
    expect(await page.locator('[data-stage="refine"]').getAttribute('data-state')).toBe('cancelled');
    expect(await page.locator('[data-stage="storeImage"]').getAttribute('data-state')).toBe('waiting');
    await expectAccessible(page);
    await screenshot(page, 'cancelled');

    // Alice's history, newest first: the cancelled one (its upload removed, so no thumbnail), then the completed one.
    await page.getByRole('link', { name: 'History' }).click();
    const rows = page.locator('.history li');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    await expect(rows.nth(0).textContent()).resolves.toMatch(/Make it more autumn-themed.*Cancelled/);
    await expect(rows.nth(1).getAttribute('data-task')).resolves.toBe(aliceTaskId);
    expect(await loadedWidth(rows.nth(1).locator('img'))).toBe(96);
    await screenshot(page, 'history');
  }, 240_000);

  test('refine a completed refinement again from its page; the lineage strip links both', async () => {
    const tab = await open();
    const { page } = tab;
    await devLogin(tab, 'carol');
    await fillRequest(tab, { name: 'fox.png', mimeType: 'image/png', buffer: png }, 'Make it warmer with more contrast');
    await page.getByRole('button', { name: 'Start refinement' }).click();
    await page.waitForURL(/#\/refinements\/[0-9a-f-]{36}$/);
    const firstTaskId = decodeURIComponent(page.url().split('/').pop()!);
    await page.getByTestId('status').getByText('Completed', { exact: true }).waitFor({ timeout: 2 * STAGE_TIMEOUT });

    // A first concept's lineage is itself alone, marked as the current one.
    const steps = page.locator('.strip-row li');
    await steps.first().waitFor();
    expect(await steps.count()).toBe(1);
    expect(await steps.first().getByRole('link').getAttribute('aria-current')).toBe('page');

    // The form starts from the concept: its descriptions and the aspects kept last time, all editable.
    const again = page.getByRole('region', { name: 'Refine again' });
    const conceptId = (await page.locator('.lineage').getAttribute('data-concept'))!;
    const stored = await page.evaluate(async (id: string) => {
      const g = globalThis as any;
      const answer = await g.fetch(`/v1/concepts/${id}/lineage`, { headers: { authorization: `Bearer ${g.sessionStorage.getItem('refinery.credential')}` } });
      return (await answer.json()).chain.at(-1) as { logoDescription: string; themeDescription: string };
    }, conceptId);
    // The theme as typed, not the stored one the seed extends with "(refined: …)".
    expect(stored.themeDescription).toBe('Modern tech');
    expect(await again.getByLabel('Logo description').inputValue()).toBe(stored.logoDescription);
    expect(await again.getByLabel('Theme description').inputValue()).toBe(stored.themeDescription);
    await again.getByRole('button', { name: 'Remove shape' }).waitFor();
    // No prompt: refused on the page, focus on the field, nothing sent.
    const refineCalls = () => tab.requests.filter((url) => url.includes('/v1/concepts/') && url.endsWith('/refinements')).length;
    await again.getByRole('button', { name: 'Refine again' }).click();
    await expect(page.locator('#again-prompt-error').textContent()).resolves.toBe('What to change is required.');
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === 'again-prompt');
    expect(refineCalls()).toBe(0);
    await again.getByLabel('Theme description').fill('Autumn forest');
    await again.getByRole('textbox', { name: 'Keep unchanged' }).fill('text');
    await again.getByRole('textbox', { name: 'Keep unchanged' }).press('Enter');
    await again.getByLabel('What to change next').fill('Make it more autumn-themed with orange and red');
    await expectAccessible(page);
    await screenshot(page, 'refine-again');

    await again.getByRole('button', { name: 'Refine again' }).click();
    await page.waitForURL((url) => /#\/refinements\/[0-9a-f-]{36}$/.test(url.hash) && !url.hash.endsWith(firstTaskId));
    const secondTaskId = decodeURIComponent(page.url().split('/').pop()!);
    expect(refineCalls()).toBe(1);
    await page.getByRole('heading', { level: 1, name: 'Make it more autumn-themed with orange and red' }).waitFor();
    expect(await focusedHeading(page)).toBe('Make it more autumn-themed with orange and red');
    await page.getByTestId('status').getByText('Completed', { exact: true }).waitFor({ timeout: 2 * STAGE_TIMEOUT });
    // What was asked for the second time: the edited theme, both kept aspects.
    await expect(page.locator('.details').textContent()).resolves.toMatch(/Autumn forest.*shape, text/);

    // Root → this one: two thumbnails, the second marked current, each linking to its refinement.
    await steps.nth(1).waitFor();
    expect(await steps.count()).toBe(2);
    expect(await steps.evaluateAll((els: any[]) => els.map((el) => el.dataset.task as string))).toEqual([firstTaskId, secondTaskId]);
    expect(await steps.nth(0).getByRole('link').getAttribute('aria-current')).toBeNull();
    expect(await steps.nth(1).getByRole('link').getAttribute('aria-current')).toBe('page');
    expect(await loadedWidth(steps.nth(0).locator('img'))).toBe(96);
    expect(await loadedWidth(steps.nth(1).locator('img'))).toBe(96);
    const [firstImage, secondImage] = await Promise.all(
      [0, 1].map(async (i) => (await page.request.get((await steps.nth(i).locator('img').getAttribute('src'))!)).body()),
    );
    expect(firstImage!.length).toBeGreaterThan(0);
    expect(secondImage!.equals(firstImage!)).toBe(false);
    // Its "before" is the concept it was refined from.
    const before = page.getByRole('img', { name: 'Original image' });
    expect(await loadedWidth(before)).toBe(96);
    expect(await before.getAttribute('src')).toBe(await steps.nth(0).locator('img').getAttribute('src'));
    await expectAccessible(page);
    await screenshot(page, 'lineage');

    // From the strip, by keyboard, back to the first: its child is now listed after it.
    await steps.nth(0).getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash.endsWith(firstTaskId));
    await page.getByRole('heading', { level: 1, name: 'Make it warmer with more contrast' }).waitFor();
    expect(await focusedHeading(page)).toBe('Make it warmer with more contrast');
    const children = page.locator('.strip.children li');
    await children.first().waitFor();
    expect(await children.evaluateAll((els: any[]) => els.map((el) => el.dataset.task as string))).toEqual([secondTaskId]);
    expect(await steps.first().getByRole('link').getAttribute('aria-current')).toBe('page');
    await expectAccessible(page);

    // The history lists both refinements, then both concepts, newest first, the second refined from the first.
    await page.getByRole('link', { name: 'History' }).click();
    const concepts = page.locator('.concept-list li');
    await concepts.nth(1).waitFor();
    expect(await concepts.evaluateAll((els: any[]) => els.map((el) => el.dataset.task as string))).toEqual([secondTaskId, firstTaskId]);
    await expect(concepts.nth(0).textContent()).resolves.toMatch(/Make it more autumn-themed with orange and red.*Refined again/);
    await expect(concepts.nth(1).textContent()).resolves.toMatch(/Make it warmer with more contrast.*First of its lineage/);
    expect(await loadedWidth(concepts.nth(0).locator('img'))).toBe(96);
    expect(await page.locator('.history li').count()).toBe(2);
    await expectAccessible(page);
    await screenshot(page, 'history-concepts');

    // A concept deleted meanwhile (another tab, the CLI): the API's 404 is shown in the form, which stays.
    await concepts.nth(0).getByRole('link').click();
    await page.waitForURL((url) => url.hash.endsWith(secondTaskId));
    await again.waitFor();
    const secondConceptId = (await page.locator('.lineage').getAttribute('data-concept'))!;
    const deleted = await page.evaluate(async (id: string) => {
      const g = globalThis as any;
      const answer = await g.fetch(`/v1/concepts/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${g.sessionStorage.getItem('refinery.credential')}` } });
      return answer.status as number;
    }, secondConceptId);
    expect(deleted).toBe(204);
    await again.getByLabel('What to change next').fill('Add a thin outline');
    await again.getByRole('button', { name: 'Refine again' }).click();
    await expect(page.locator('#again-form-error').textContent()).resolves.toMatch(/not found/i);
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === 'again-form-error');
    expect(refineCalls()).toBe(2);
    expect(page.url()).toMatch(new RegExp(`${secondTaskId}$`));
  }, 360_000);

  test('a refused upload shows the field error: from the client check, and from the API', async () => {
    const tab = await open();
    const { page } = tab;
    await devLogin(tab, 'dave');
    const starts = () => tab.requests.filter((url) => url.endsWith('/v1/refinements')).length;

    // Not an image type at all: the page refuses it before sending anything.
    await fillRequest(tab, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }, 'Make it warmer');
    await page.getByRole('button', { name: 'Start refinement' }).click();
    await expect(page.locator('#image-error').textContent()).resolves.toMatch(/must be a PNG, JPEG, WEBP image/);
    expect(starts()).toBe(0);

    // Says it is a PNG but is not one: the API answers 415 and the page shows it at the file field.
    await page.locator('#image').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('this is not a png at all') });
    await page.getByRole('button', { name: 'Start refinement' }).click();
    await expect(page.locator('#image-error').textContent()).resolves.toMatch(/^Unsupported image: .+/);
    expect(starts()).toBe(1);
    expect(await page.locator('#image').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#image').getAttribute('aria-describedby')).toContain('image-error');
    // Focus moves to the error summary once it has rendered (an effect after the render that shows the
    // field error), so wait for it rather than read it at once; it fails if focus never gets there.
    await page.waitForFunction(() => Boolean((globalThis as any).document.activeElement?.classList.contains('error-summary')), undefined, { timeout: 5_000 });
    expect(page.url()).toMatch(/#\/new$/);
    await expectAccessible(page);
    await screenshot(page, 'upload-refused');
  });

  test("another user's refinement is not reachable by URL (signed in by pasting a token)", async () => {
    expect(aliceTaskId).toBeDefined();
    const tab = await open();
    const { page } = tab;
    await page.goto(`${gateway.origin}/`);
    await page.getByLabel('API key or token').fill(await gateway.token('bob'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'New refinement' }).waitFor();
    const answer = page.waitForResponse((r) => r.url().endsWith(`/v1/refinements/${aliceTaskId}`));
    await page.goto(`${gateway.origin}/#/refinements/${aliceTaskId}`);
    expect((await answer).status()).toBe(404);
    await page.getByRole('heading', { level: 1, name: 'Refinement not found' }).waitFor();
    await expect(page.getByRole('img').count()).resolves.toBe(0);
    await expectAccessible(page);
  });

  test('/docs still renders Swagger UI, under its own policy', async () => {
    const tab = await open();
    await tab.page.goto(`${gateway.origin}/docs/`);
    await tab.page.getByText('Refinery API', { exact: false }).first().waitFor();
    await tab.page.locator('.opblock-summary-path', { hasText: '/v1/refinements/{taskId}/events' }).waitFor();
  });

  test('no page requested anything but the gateway, and none broke its Content-Security-Policy', () => {
    expect(opened.length).toBeGreaterThanOrEqual(4);
    const all = opened.flatMap((o) => o.requests);
    expect(all.length).toBeGreaterThan(20);
    // blob: is the chosen file's preview, in the page itself; everything else goes to the gateway.
    expect(all.filter((url) => !url.startsWith('blob:') && new URL(url).origin !== gateway.origin)).toEqual([]);
    expect(opened.flatMap((o) => o.cspViolations)).toEqual([]);
  });
});
