// Is dist/ a build of the current sources? Shared by the build itself, bin/refinery.js, the Makefile
// and the test harness, so nothing ever runs a stale build silently. Plain CommonJS: it must run
// before anything is compiled. A build records when it started; it is fresh while no input file
// (src/, package-lock.json, the tsconfigs) changed after that moment.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const stampFile = path.join(root, 'dist', 'build-info.json');
const inputs = ['src', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function newestInput(entry) {
  const full = path.join(root, entry);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows as a newer folder
  for (const name of fs.readdirSync(full)) newest = Math.max(newest, newestInput(path.join(entry, name)));
  return newest;
}

/** 'fresh', 'missing' (never built) or 'stale' (a source changed since the build started). */
function buildState() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return 'missing';
  }
  return inputs.some((entry) => newestInput(entry) > stamp.startedAt) ? 'stale' : 'fresh';
}

module.exports = { buildState, stampFile, root, hasSources: () => fs.existsSync(path.join(root, 'src')) };
