/**
 * What the web page's journeys share: the real gateway serving the built page, a real worker process
 * and the Temporal dev server, PostgreSQL, Debian's Chromium; and the steps the journeys take in it.
 * The worker holds every refinement's refine stage for HOLD_MS (its hold plan), long enough to see it
 * running and to cancel one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { TestGateway } from '../../harness/gateway';
import { conceptPng } from '../../harness/images';
import { TestStack } from '../../harness/stack';
import { accessibilityViolations, buildPage, launchChromium, openPage, type Recorded } from '../browser';

export const HOLD_MS = 10_000;
export const STAGE_TIMEOUT = 90_000;

let stack: TestStack;
export let gateway: TestGateway;
let browser: Browser;
export let png: Buffer;
let webDir: string;
/** Every page the journeys opened, with what it requested. */
export const opened: Recorded[] = [];

/** Builds the page and starts everything before the journeys; closes it all after them. */
export function startWebPageSession(): void {
  beforeAll(async () => {
    webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-web-'));
    buildPage(webDir);
    [stack, png, browser] = await Promise.all([TestStack.create({ database: 'postgres' }), conceptPng(96), launchChromium()]);
    await stack.startWorker({ hold: { activity: 'refineConceptImage', when: 'before', ms: HOLD_MS } });
    gateway = await TestGateway.start(stack, { WEB_DIST_DIR: webDir });
  });
  afterAll(async () => {
    await Promise.all(opened.map((o) => o.context.close()));
    await browser?.close();
    await gateway?.close();
    await stack?.close();
    fs.rmSync(webDir, { recursive: true, force: true });
  });
}

export const open = async () => {
  const recorded = await openPage(browser);
  opened.push(recorded);
  return recorded;
};
export const expectAccessible = async (page: Recorded['page']) => expect(await accessibilityViolations(page)).toEqual([]);
// Functions passed to evaluate() run in the page; the test program has no DOM types, hence `any`.
// The shell moves the focus in an effect, which Preact runs just after the frame that shows the heading.
export const focusedHeading = async (page: Recorded['page']) => {
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.tagName === 'H1', undefined, { timeout: 5_000 }).catch(() => undefined);
  return page.evaluate(() => {
    const active = (globalThis as any).document.activeElement;
    return active?.tagName === 'H1' ? (active.textContent as string) : null;
  });
};

export async function devLogin({ page }: Recorded, user: string) {
  await page.goto(`${gateway.origin}/`);
  await page.getByLabel('User name').fill(user);
  await page.getByRole('button', { name: 'Development login' }).click();
  await page.getByRole('heading', { level: 1, name: 'New refinement' }).waitFor();
}

export async function fillRequest({ page }: Recorded, file: { name: string; mimeType: string; buffer: Buffer }, prompt: string) {
  await page.locator('#image').setInputFiles(file);
  await page.getByLabel('What to change').fill(prompt);
  await page.getByLabel('Logo description').fill('A minimalist fox');
  await page.getByLabel('Theme description').fill('Modern tech');
  await page.getByLabel('Keep unchanged').fill('shape');
  await page.getByLabel('Keep unchanged').press('Enter');
}

/** The image's natural width once the browser has finished loading it (0 when it failed). */
export async function loadedWidth(img: Locator): Promise<number> {
  const handle = await img.elementHandle();
  await img.page().waitForFunction((el: any) => el.complete === true, handle);
  return img.evaluate((el: any) => el.naturalWidth as number);
}
