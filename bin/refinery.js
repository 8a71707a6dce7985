#!/usr/bin/env node
// The `refinery` command: always the compiled CLI (dist/), which answers in a fraction of a second.
// In a checkout (src/ present) a missing or stale build is rebuilt first, saying so on stderr, so a
// stale build never runs silently; where only the build ships (the container image) it runs as is.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
if (fs.existsSync(path.join(root, 'src'))) {
  const { buildState } = require('../scripts/build-state');
  const state = buildState();
  if (state !== 'fresh') {
    console.error(`refinery: the build in dist/ is ${state === 'missing' ? 'missing' : 'older than src/'}; building it (npm run build)...`);
    try {
      require('node:child_process').execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: ['ignore', 2, 2] });
    } catch {
      console.error('refinery: the build failed (see above); fix it or run `npm run build`.');
      process.exit(1);
    }
  }
} else if (!fs.existsSync(cli)) {
  console.error(`refinery: ${cli} is missing; this installation has no build (run \`npm run build\`).`);
  process.exit(1);
}
require(cli);
