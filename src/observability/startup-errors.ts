/**
 * How a process that cannot start says so: one log line (JSON, or one readable line at a terminal,
 * like every other line it writes), not a stack trace on stderr. A configuration error names the
 * variable and needs no stack; anything else keeps its stack for whoever debugs it.
 */
import { ConfigError } from '../config';
import { createLogger } from './logging';

export function exitOnStartupError(component: string) {
  return (err: unknown): never => {
    const logger = createLogger('info', { component });
    if (err instanceof ConfigError) logger.fatal({ error: err.name }, err.message);
    else logger.fatal({ err }, 'could not start');
    // Both forms write synchronously: the line is out before the exit.
    process.exit(1);
  };
}
