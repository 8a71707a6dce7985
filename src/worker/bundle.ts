/**
 * Bundles the workflow code once (`npm run bundle [out-file]`), so workers start without the seconds
 * webpack takes: point WORKFLOW_BUNDLE_PATH at the file. The bundle's build id (src/worker/build-id.ts)
 * is written beside it (`<out-file>.build-id`) and printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../observability/worker-interceptors';
import { buildIdFileOf, buildIdOf } from './build-id';

/** The workflow code of src/workflows (or another entry, for tests) with Refinery's workflow interceptors. */
export async function bundleRefineryWorkflows(workflowsPath = require.resolve('../workflows')): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    // Tracing, request-id forwarding and outcome metrics (src/workflows/interceptors.ts).
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: quietLogger,
  });
  return code;
}

/** Writes the bundle and its build id beside it; returns the bundle's path. */
export async function writeWorkflowBundle(outFile: string, workflowsPath?: string): Promise<string> {
  const code = await bundleRefineryWorkflows(workflowsPath);
  const buildId = buildIdOf(code);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, code);
  fs.writeFileSync(buildIdFileOf(outFile), `${buildId}\n`);
  return outFile;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error };

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  writeWorkflowBundle(out).then(
    () => console.log(`workflow bundle written to ${out} (build id ${fs.readFileSync(buildIdFileOf(out), 'utf8').trim()})`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
