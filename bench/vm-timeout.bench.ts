/**
 * What the Temporal SDK's deadlock guard costs per call into the workflow sandbox: the SDK runs each
 * call (activate, conclude, unblock conditions...; about 20 per refinement) as
 * `script.runInContext(context, { timeout: isolateExecutionTimeout })`, and Node starts a watchdog
 * thread with its own event loop for every call made with a timeout. Side by side with the same call
 * without one, in one process.
 *
 *   npx tsx bench/vm-timeout.bench.ts
 */
import os from 'node:os';
import vm from 'node:vm';

const CALLS = 20_000;
const context = vm.createContext({});
const script = new vm.Script('globalThis.n = (globalThis.n ?? 0) + 1');

function perCall(options: vm.RunningScriptOptions | undefined): { wallUs: number; cpuUs: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) script.runInContext(context, options);
  const used = process.cpuUsage(cpu);
  return { wallUs: ((performance.now() - started) * 1000) / CALLS, cpuUs: (used.user + used.system) / CALLS };
}

console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.availableParallelism()} cores)`);
console.log('runInContext, per call     wall µs   CPU µs');
for (let round = 0; round < 2; round++) {
  for (const [name, options] of [['no timeout', undefined], ['timeout 5 s (the SDK)', { timeout: 5_000 }]] as const) {
    const { wallUs, cpuUs } = perCall(options);
    console.log(`${name.padEnd(24)} ${wallUs.toFixed(1).padStart(8)} ${cpuUs.toFixed(1).padStart(8)}`);
  }
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
