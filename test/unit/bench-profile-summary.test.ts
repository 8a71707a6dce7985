/**
 * The production benchmark's profile summary: self time within the measured window only, and native
 * or Node-internal work charged to the package or Refinery file that called it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moduleOf, summariseProfile } from '../../bench/production/profile-summary';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0' });

/** root → send (@smithy/core) → writev (native); root → stage (Refinery) ; root → (idle). */
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    { id: 2, callFrame: frame('send', 'file:///app/node_modules/@smithy/core/dist-cjs/index.js'), children: [3] },
    { id: 3, callFrame: frame('writev'), children: [] },
    { id: 4, callFrame: frame('runStage', 'file:///app/dist/activities/stage.js'), children: [] },
    { id: 5, callFrame: frame('(idle)'), children: [] },
  ],
  startTime: 1_000,
  // Sample times: 1100, 1200, 1300, 1400, 5000 (the last one outside the window below).
  samples: [3, 3, 4, 5, 4],
  timeDeltas: [100, 100, 100, 100, 3_600],
};

let file: string;
beforeAll(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'profile-summary-')), 'p.cpuprofile');
  fs.writeFileSync(file, JSON.stringify(profile));
});
afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

test('counts the window only, leaves idle out, and charges native work to its caller', () => {
  const summary = summariseProfile(file, { fromUs: 1_050, toUs: 2_000 });
  expect(summary.busyMs).toBeCloseTo(0.3);
  expect(summary.modules.map((m) => [m.name, Math.round(m.share * 100)])).toEqual([
    ['(native)', 67],
    ['refinery activities/stage.js', 33],
  ]);
  expect(summary.owners.map((m) => [m.name, Math.round(m.share * 100)])).toEqual([
    ['@smithy/core', 67],
    ['refinery activities/stage.js', 33],
  ]);
});

test('without a window, every busy sample counts', () => {
  expect(summariseProfile(file).busyMs).toBeCloseTo(3.9);
});

test('names modules by package, Refinery file or Node internals', () => {
  expect(moduleOf('file:///x/node_modules/@aws-sdk/core/dist/a.js', 'f')).toBe('@aws-sdk/core');
  expect(moduleOf('file:///x/node_modules/pino/lib/a.js', 'f')).toBe('pino');
  expect(moduleOf('node:internal/streams/writable', 'f')).toBe('node:internal');
  expect(moduleOf('file:///work/dist/gateway/app.js', 'f')).toBe('refinery gateway/app.js');
  expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
});
