import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/** The `temporal` CLI that scripts/ensure-temporal-cli.sh provides (TEMPORAL_CLI, PATH, or the local build). */
export function temporalCliPath(): string {
  const out = execFileSync('bash', [path.join(__dirname, '../../scripts/ensure-temporal-cli.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  if (!fs.existsSync(out)) throw new Error(`ensure-temporal-cli.sh printed ${out}, which does not exist`);
  return out;
}
