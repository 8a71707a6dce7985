/**
 * How a process that cannot start says so: one JSON log line (like every other line it writes), not
 * a stack trace on stderr. A configuration error names the variable and needs no stack; anything
 * else keeps its stack inside the JSON for whoever debugs it.
 */
import pino from 'pino';
import { ConfigError } from '../config';

export function exitOnStartupError(component: string) {
  return (err: unknown): never => {
    const logger = pino({ base: { pid: process.pid, component }, timestamp: pino.stdTimeFunctions.isoTime });
    if (err instanceof ConfigError) logger.fatal({ error: err.name }, err.message);
    else logger.fatal({ err }, 'could not start');
    // pino writes synchronously to stdout by default: the line is out before the exit.
    process.exit(1);
  };
}
