// `npm run build`: compiles src/ to dist/ (tsc, incremental), prebuilds the workflow bundle into
// dist/workflow-bundle.js (workers load it instead of bundling for seconds at start) and stamps the
// build. `--if-stale` does nothing when dist/ is already a build of the current sources.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { buildState, stampFile, root } = require('./build-state');

const ifStale = process.argv.includes('--if-stale');
const state = buildState();
if (ifStale && state === 'fresh') process.exit(0);

const startedAt = Date.now();
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
fs.rmSync(stampFile, { force: true }); // a build that fails half-way must not look fresh
run([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
run([path.join(root, 'dist', 'worker', 'bundle.js'), path.join(root, 'dist', 'workflow-bundle.js')]);
fs.writeFileSync(stampFile, JSON.stringify({ startedAt, node: process.version }) + '\n');
console.error(`build: dist/ ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (was ${state})`);
