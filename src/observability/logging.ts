/** Structured logs (pino, JSON lines on stdout), and the bridge that sends Temporal's own logs there. */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import { correlationFields } from './log-context';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  // The mixin adds the request id and trace id of the request or activity a line is logged in.
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime, mixin: correlationFields });
}

/** Temporal's Logger interface on top of pino: levels map one to one (Temporal's are upper-case). */
export function temporalLogger(logger: Logger): TemporalLogger {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) =>
    logger[level.toLowerCase() as 'info'](meta ?? {}, message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
