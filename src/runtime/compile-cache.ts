/**
 * Import first in every process entry point: from Node 22.1 on, V8 keeps the compiled code of every
 * module loaded afterwards in a disk cache (NODE_COMPILE_CACHE, default the OS temp folder), which
 * cuts a restarted worker's module loading (the SDK alone is most of a second on a loaded machine).
 * Older Nodes lack the call and start as before.
 */
import nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
