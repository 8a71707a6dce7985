/**
 * Where a process's CPU went, from the V8 CPU profile `node --cpu-prof` writes at exit: self time by
 * function and by module (an npm package, a file of Refinery's own, Node's internals, or V8's
 * pseudo-nodes such as the garbage collector). Idle time is left out, so shares are of busy time.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of the monotonic clock in microseconds (V8's profile clock, and process.hrtime's). */
export interface Window {
  fromUs: number;
  toUs: number;
}

/** Now on the clock V8 stamps profile samples with. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export interface Share {
  name: string;
  ms: number;
  share: number;
}

/** Self time of the samples taken within `window` (all of them without one): start-up and warm-up left out. */
export function summariseProfile(file: string, window?: Window, top = 15): { busyMs: number; functions: Share[]; modules: Share[]; owners: Share[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  /** The nearest frame, itself or a caller, in a package or a Refinery file: who asked for native or Node work. */
  const ownerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { url, functionName } = byId.get(at)!.callFrame;
      const module = moduleOf(url, functionName);
      if (module !== '(native)' && module !== 'node:internal') return module;
    }
    return '(root: event loop and I/O callbacks)';
  };
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const owners = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const module = moduleOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    modules.set(module, (modules.get(module) ?? 0) + us);
    const owner = ownerOf(id);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): Share[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return { busyMs: busyUs / 1000, functions: rank(functions), modules: rank(modules), owners: rank(owners) };
}

/** An npm package (scoped ones whole), a file under dist/ or src/, `node:internal`, or V8's own. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const own = /\/(dist|src)\/(.+)$/.exec(url);
  if (own) return `refinery ${own[2]}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  const pkg = url.lastIndexOf('node_modules/');
  if (pkg >= 0) return url.slice(pkg + 'node_modules/'.length);
  const own = /\/((?:dist|src)\/.+)$/.exec(url);
  return own ? own[1]! : url.replace(/^file:\/\//, '');
}

/**
 * Shares of the JavaScript thread's busy samples. Not milliseconds: a sample's interval is wall time,
 * and on a loaded machine it includes the time the thread waited for a core.
 */
export function printSummary(title: string, file: string, window?: Window): void {
  const { busyMs, functions, modules, owners } = summariseProfile(file, window);
  const line = (s: Share) => `  ${(s.share * 100).toFixed(1).padStart(5)}%  ${s.name}`;
  console.log(`\n${title}: ${(busyMs / 1000).toFixed(1)} s of busy samples on the JavaScript thread; shares of them:`);
  console.log(' by module (self time):');
  modules.forEach((s) => console.log(line(s)));
  console.log(' by owner (self time, native and Node-internal work charged to the package or Refinery file that called it):');
  owners.forEach((s) => console.log(line(s)));
  console.log(' by function (self time):');
  functions.forEach((s) => console.log(line(s)));
}
