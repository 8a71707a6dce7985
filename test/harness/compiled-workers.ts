/**
 * The tests' worker processes run compiled JavaScript, like production workers, so they start in
 * about the time a restarted production worker does (tsx would add its own load time to every
 * crash-recovery measurement). Compiled here, once per jest run, with swc (what jest itself
 * transforms with; types are checked by `npm run typecheck`): `src/` and `test/harness/` into a
 * folder of the same layout under `.test-build/` (inside the checkout, so node_modules resolves;
 * git-ignored). Every run compiles afresh, so an edit is always picked up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { transformFileSync } from '@swc/core';

const ROOT = path.join(__dirname, '..', '..');
const FOLDERS = ['src', path.join('test', 'harness')];

function sources(folder: string): string[] {
  return (fs.readdirSync(path.join(ROOT, folder), { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(folder, file));
}

/** Compiles and returns the folder; the worker entry is `<folder>/test/harness/worker-process.js`. */
export function compileForWorkers(): string {
  fs.mkdirSync(path.join(ROOT, '.test-build'), { recursive: true });
  const outDir = fs.mkdtempSync(path.join(ROOT, '.test-build', 'run-'));
  for (const file of FOLDERS.flatMap(sources)) {
    const { code } = transformFileSync(path.join(ROOT, file), {
      swcrc: false,
      sourceMaps: 'inline',
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    const out = path.join(outDir, file.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, code);
  }
  return outDir;
}

export const workerEntry = (outDir: string) => path.join(outDir, 'test', 'harness', 'worker-process.js');
