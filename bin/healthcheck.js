#!/usr/bin/env node
// The container image's HEALTHCHECK for both roles: finds which Refinery process the container runs
// (its command line in /proc, whatever the init process is) and asks its liveness route on
// loopback: the gateway's /healthz on GATEWAY_PORT, the worker's /livez on WORKER_HEALTH_PORT.
// Exit 0 healthy, 1 not (Docker's convention).
'use strict';
const fs = require('node:fs');
const http = require('node:http');

function role() {
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // the process ended meanwhile
    }
    if (cmdline.includes('gateway/main.js')) return { route: '/healthz', port: process.env.GATEWAY_PORT || '8080' };
    if (cmdline.includes('worker/main.js')) return { route: '/livez', port: process.env.WORKER_HEALTH_PORT };
  }
  return undefined;
}

const target = role();
if (!target) {
  console.error('healthcheck: no Refinery worker or gateway process runs in this container');
  process.exit(1);
}
if (!target.port) {
  console.error('healthcheck: WORKER_HEALTH_PORT is unset, so the worker serves no health endpoint');
  process.exit(1);
}
const request = http.get({ host: '127.0.0.1', port: Number(target.port), path: target.route, timeout: 4000 }, (response) => {
  response.resume();
  console.log(`healthcheck: ${target.route} answered ${response.statusCode}`);
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('no answer within 4 s')));
request.on('error', (err) => {
  console.error(`healthcheck: ${target.route} on port ${target.port}: ${err.message}`);
  process.exit(1);
});
