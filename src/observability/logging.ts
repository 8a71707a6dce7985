/**
 * Structured logs (pino), and the bridge that sends Temporal's own logs there. Files, pipes,
 * containers and the tests read one JSON object per line; a person at a terminal reads one line per
 * event (time, level, component, message, then the fields), so the format follows where stdout goes.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { correlationFields } from './log-context';

export type LogFormat = 'json' | 'pretty';

/** Readable lines for a terminal, JSON lines for everything that is read by a program. */
export function logFormatFor(output: { isTTY?: boolean } = process.stdout): LogFormat {
  return output.isTTY ? 'pretty' : 'json';
}

/** `destination`: where JSON lines go instead of stdout (tests that read the raw lines). */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, format = logFormatFor(), destination?: DestinationStream): Logger {
  // The mixin adds the request id and trace id of the request or activity a line is logged in.
  const options: LoggerOptions = { level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime, mixin: correlationFields };
  if (format === 'pretty') return pino(options, readableLines());
  return destination ? pino(options, destination) : pino(options);
}

/**
 * One line per event: `[12:04:05.120] INFO: worker: worker started {"taskQueue":...}` (an error's
 * stack follows on its own lines). The trace and span ids are left to the JSON form, where tools read
 * them; the request id stays, to follow a request through the gateway and the worker. Written
 * synchronously, like pino's own stdout, so the last line before an exit is not lost. Colours follow
 * the terminal (pino-pretty turns them off where it cannot show them, and on NO_COLOR).
 */
function readableLines(): DestinationStream {
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component,traceId,spanId',
    messageFormat: '{if component}{component}: {end}{msg}',
  });
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
