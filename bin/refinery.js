#!/usr/bin/env node
// The `refinery` command. In a checkout it runs the TypeScript source through tsx, so it is never a
// stale build; where only the build was shipped (the Docker image) it runs the compiled CLI.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'src', 'client', 'cli.ts');
if (fs.existsSync(source)) {
  require('tsx/cjs');
  require(source);
} else {
  require(path.join(__dirname, '..', 'dist', 'src', 'client', 'cli.js'));
}
