/** Builds the web page into dist/web, which the gateway serves at `/` (src/gateway/routes/web.ts). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  // No public/ folder: everything the page loads is built from src/.
  publicDir: false,
  build: {
    outDir: path.resolve(here, '../dist/web'),
    emptyOutDir: true,
    // Never inline assets as data: URIs: the page's Content-Security-Policy allows 'self' and blob: only.
    assetsInlineLimit: 0,
    // One small file is simpler to cache than a preload helper's chunks.
    modulePreload: false,
    target: 'es2022',
  },
  // Preact's automatic JSX runtime, without a framework plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
