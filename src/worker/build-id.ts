/**
 * The build id of a worker: a hash of the workflow bundle it runs. Two builds of the same workflow
 * code share it (and so one deployment version: either may replay the other's runs); any change to
 * the workflow code, however small, is a new version, so a refinement pinned to its version never
 * meets other workflow code. Activity code is not part of it: a change there that keeps the
 * activities' inputs and outputs needs no new version.
 */
import { createHash } from 'node:crypto';

/** Hex digits kept: 64 bits, far from any collision among one deployment's versions. */
const LENGTH = 16;

export function buildIdOf(bundleCode: string): string {
  return createHash('sha256').update(bundleCode).digest('hex').slice(0, LENGTH);
}

/** Where `npm run build` writes the build id beside a bundle, for scripts and operators. */
export function buildIdFileOf(bundlePath: string): string {
  return `${bundlePath}.build-id`;
}
