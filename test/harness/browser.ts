/**
 * A real browser: headless Chromium (CHROMIUM_PATH, default `chromium` on PATH) loads a page, runs
 * its scripts and prints the DOM it ended with. No driver library: `--dump-dom` is enough to see
 * what a page showed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? 'chromium';

/** The page's DOM once `ready(dom)` holds; loads it again (a fresh profile each time) until then or the deadline. */
export async function renderedDom(url: string, ready: (dom: string) => boolean, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let dom = '';
  while (Date.now() < deadline) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-chromium-'));
    try {
      const { stdout } = await run(
        CHROMIUM,
        ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=20000', '--dump-dom', url],
        { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      );
      dom = stdout;
      if (ready(dom)) return dom;
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
  }
  return dom;
}
