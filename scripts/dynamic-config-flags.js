// The Temporal server settings Refinery relies on, for the dev server: one `--dynamic-config-value`
// flag per key of the production server's dynamic config (deploy/temporal/dynamicconfig/production.yaml),
// so `make start`, the tests' dev server and the deployed server run with the same values.
// Printed one argument per line when run directly (scripts/start-local-stack.sh reads them).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

const PRODUCTION = path.join(__dirname, '..', 'deploy', 'temporal', 'dynamicconfig', 'production.yaml');

/** ['--dynamic-config-value', 'key=value', ...]; only unconstrained values (the dev server takes no constraints). */
function dynamicConfigFlags() {
  const settings = parse(fs.readFileSync(PRODUCTION, 'utf8'));
  return Object.entries(settings).flatMap(([key, values]) => {
    if (values.length !== 1 || values[0].constraints) throw new Error(`${PRODUCTION}: ${key} must have one unconstrained value`);
    return ['--dynamic-config-value', `${key}=${JSON.stringify(values[0].value)}`];
  });
}

module.exports = { dynamicConfigFlags };

if (require.main === module) process.stdout.write(`${dynamicConfigFlags().join('\n')}\n`);
