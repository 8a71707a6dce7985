/**
 * Debian's Chromium driven by playwright-core for the web page's tests, with what every page check
 * needs: axe-core run inside the page, screenshots at desktop and phone width (written only with
 * UPDATE_SCREENSHOTS=1), and a record of every request and CSP complaint the page made.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../..');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const SCREENSHOTS = path.join(ROOT, 'docs/screenshots');

/** Installs Chromium when missing (scripts/ensure-chromium.sh) and launches it headless. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('bash', [path.join(ROOT, 'scripts/ensure-chromium.sh')], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Builds the page into `outDir` (the tests' own copy, so a half-written dist/web is never served). */
export function buildPage(outDir: string): void {
  execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'web/vite.config.mts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface Recorded {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested. */
  requests: string[];
  /** Console messages that report a Content-Security-Policy violation. */
  cspViolations: string[];
}

export async function openPage(browser: Browser): Promise<Recorded> {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const requests: string[] = [];
  const cspViolations: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { context, page, requests, cspViolations };
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now, at desktop and phone width. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    // evaluate() runs as the debugger, so the page's CSP (no inline scripts) does not stop axe from loading.
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      // Runs in the page (the test program has no DOM types).
      const page = globalThis as any;
      const result: { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] } = await page.axe.run(page.document, {
        resultTypes: ['violations'],
      });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
    });
    for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') found.push(`${viewport.width}px ${v.id} (${v.impact}): ${v.targets.join(', ')}`);
  }
  await page.setViewportSize(DESKTOP);
  return found;
}

/** With UPDATE_SCREENSHOTS=1, docs/screenshots/<name>-desktop.png and -phone.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
  }
  await page.setViewportSize(DESKTOP);
}
