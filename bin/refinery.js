#!/usr/bin/env node
// The `refinery` command: the compiled CLI when `npm run build` has made one, otherwise the
// TypeScript source through tsx (a checkout without a build).
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'src', 'client', 'cli.js');
if (fs.existsSync(built)) {
  require(built);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'client', 'cli.ts'));
}
