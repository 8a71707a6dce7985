/**
 * The layer rules (.dependency-cruiser.js) catch an arrow that runs back up: a small tree laid out
 * like src/ passes as it is, and fails, naming the rule, once any one wrong import is added to it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const depcruise = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

/** A file per layer, each importing only what the rules allow. */
const cleanTree: Record<string, string> = {
  'src/config/index.ts': "import { POLICIES } from '../workflows/stage-policies';\nexport const config = { POLICIES };\n",
  'src/workflows/stage-policies.ts': 'export const POLICIES = {};\n',
  'src/workflows/refine.ts': "import type { Activities } from '../activities';\nimport { POLICIES } from './stage-policies';\nexport const refine = (a?: Activities) => [a, POLICIES];\n",
  'src/activities/index.ts': "import { store } from '../adapters/store';\nexport type Activities = typeof store;\n",
  'src/adapters/store.ts': "import { config } from '../config';\nexport const store = () => config;\n",
  'src/gateway/routes/refinements.schemas.ts': 'export type RefinementView = { taskId: string };\n',
  'src/gateway/app.ts': "import { store } from '../adapters/store';\nimport type { RefinementView } from './routes/refinements.schemas';\nexport const app = (view?: RefinementView) => [store, view];\n",
  'src/cli/main.ts': "import type { RefinementView } from '../gateway/routes/refinements.schemas';\nexport const show = (v: RefinementView) => v.taskId;\n",
  'src/gateway/auth/dev-token.ts': 'export const mint = () => 1;\n',
  'src/gateway/stores/api-keys.ts': 'export const keys = () => 1;\n',
  'src/cli/admin-commands.ts': "import { mint } from '../gateway/auth/dev-token';\nimport { keys } from '../gateway/stores/api-keys';\nexport const admin = [mint, keys];\n",
  'src/worker/main.ts': "import { refine } from '../workflows/refine';\nimport { app } from '../gateway/app';\nexport const main = [refine, app];\n",
  'src/observability/metrics.ts': 'export const count = () => 1;\n',
  'test/helper.ts': 'export const helper = 1;\n',
};

/** One wrong import per rule: the file it goes in, the line, and the rule that must name it. */
const wrongImports: Array<{ file: string; line: string; rule: string }> = [
  { file: 'src/workflows/refine.ts', line: "import 'node:fs';", rule: 'workflows-are-deterministic' },
  { file: 'src/workflows/stage-policies.ts', line: "import { store } from '../adapters/store'; void store;", rule: 'workflows-are-deterministic' },
  { file: 'src/workflows/refine.ts', line: "import type { app } from '../gateway/app'; export type App = typeof app;", rule: 'workflows-see-only-activity-types' },
  { file: 'src/adapters/store.ts', line: "import { app } from '../gateway/app'; void app;", rule: 'adapters-stay-below-their-callers' },
  { file: 'src/adapters/store.ts', line: "import { POLICIES } from '../workflows/stage-policies'; void POLICIES;", rule: 'adapters-use-only-workflow-types' },
  { file: 'src/adapters/store.ts', line: "import { count } from '../observability/metrics'; void count;", rule: 'adapters-record-no-metrics-themselves' },
  { file: 'src/config/index.ts', line: "import { store } from '../adapters/store'; void store;", rule: 'config-is-the-bottom-layer' },
  { file: 'src/gateway/app.ts', line: "import type { Activities } from '../activities'; export type A = Activities;", rule: 'gateway-does-not-reach-into-the-worker' },
  { file: 'src/cli/main.ts', line: "import { app } from '../gateway/app'; void app;", rule: 'cli-speaks-http-only' },
  { file: 'src/cli/main.ts', line: "import type { app } from '../gateway/app'; export type App = typeof app;", rule: 'cli-types-only-from-the-wire-contract' },
  { file: 'src/cli/admin-commands.ts', line: "import { app } from '../gateway/app'; void app;", rule: 'cli-admin-commands-use-only-the-gateway-auth-and-stores' },
  { file: 'src/activities/index.ts', line: "import { main } from '../worker/main'; void main;", rule: 'activities-serve-only-the-worker' },
  { file: 'src/gateway/routes/refinements.schemas.ts', line: "import { app } from '../app'; void app;", rule: 'no-circular' },
  { file: 'src/gateway/app.ts', line: "import '../nowhere';", rule: 'not-to-unresolvable' },
  { file: 'src/adapters/store.ts', line: "import { helper } from '../../test/helper'; void helper;", rule: 'src-does-not-import-tests' },
];

function writeTree(dir: string, wrong?: { file: string; line: string }): void {
  for (const [file, text] of Object.entries(cleanTree)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), (file === wrong?.file ? wrong.line + '\n' : '') + text);
  }
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
}

/**
 * dependency-cruiser is ES modules only: one child process cruises every tree through its API (the
 * command line's rule set and options) and prints the violations of each, as the CLI's `err` lines.
 */
const cruiseEach = `
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
const [config, ...dirs] = process.argv.slice(1);
const options = await extractDepcruiseOptions(config);
const report = {};
for (const dir of dirs) {
  process.chdir(dir);
  const { output } = await cruise(['src'], { ...options, outputType: 'err' }, undefined, { tsConfig: extractTSConfig('tsconfig.json') });
  report[dir] = output;
}
console.log(JSON.stringify(report));
`;

function cruise(dirs: string[]): Record<string, string> {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', cruiseEach, path.join(root, '.dependency-cruiser.js'), ...dirs], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`dependency-cruiser failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('layer rules', () => {
  const cases = [{ rule: 'none', file: '', line: '' }, ...wrongImports];
  let base: string;
  let reports: Record<string, string>;
  const treeOf = (index: number) => path.join(base, String(index));

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'refinery-layers-'));
    cases.forEach((wrong, index) => writeTree(treeOf(index), index === 0 ? undefined : wrong));
    reports = cruise(cases.map((_, index) => treeOf(index)));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test('a tree that keeps the layers passes', () => {
    expect(reports[treeOf(0)]).toContain('no dependency violations found');
  });

  test.each(wrongImports.map((wrong, index) => ({ ...wrong, index: index + 1 })))(
    '$rule: `$line` in $file fails the check',
    ({ rule, file, index }) => {
      const violations = reports[treeOf(index)].split(/\n(?=\s*error )/).filter((entry) => entry.includes(`error ${rule}: `));
      expect(violations.some((violation) => violation.includes(file))).toBe(true);
    },
  );
});
