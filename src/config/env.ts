/**
 * What every concern's slice of the environment is made of: the zod helpers for environment
 * strings, the error a bad setting raises, and the two small values several concerns share.
 */
import { inspect } from 'node:util';
import { z } from 'zod';

declare module 'zod/v4/core' {
  interface GlobalMeta {
    /** The configuration reference's default when it is not the schema's plain default (computed, or what unset means). */
    defaultText?: string;
  }
}

/** The message names the variable; the loader gathers every problem into one. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** One problem with values that each parse but are wrong together; its message starts with the variable. */
export class ConfigProblem extends Error {}

export function refuse(message: string): never {
  throw new ConfigProblem(message);
}

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const int = (min: number) => z.coerce.number().int().min(min);

/** Temporal durations: milliseconds, or an `ms`-style string such as "30s" or "5m". */
export const duration = z.union([int(1), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, 'is not a duration like "30s"')]);

/**
 * Unset, empty or blank is "not set": compose files pass empty strings for unset variables. Trimmed;
 * for a secret, the value itself never appears in a message.
 */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

/** OpenTelemetry's convention (and compose's `${VAR:-}`): an empty variable is an unset one. */
export const emptyAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const secretKey = () => z.string().min(32, 'must be at least 32 characters');

/** A value that never prints: JSON, logs and util.inspect show "[redacted]"; reveal() gives it to whoever must send it. */
export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** 127.0.0.0/8, ::1 and localhost; anything else (0.0.0.0, ::, a host name or address) is reachable from elsewhere. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}
