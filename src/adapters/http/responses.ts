/** Reading an HTTP answer the same way for every remote host we call: its headers, and whether a failure is worth retrying. */

/** 4xx answers that say "not now" rather than "never". */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);

/** Whether asking again later may succeed: a 5xx, or a 4xx that says "not now". */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || TRANSIENT_CLIENT_STATUSES.has(status);
}

/** Retry-After is either delta-seconds or an HTTP-date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names a weekday and a month; this keeps "-5" or "2025" from passing as dates.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** undici gives a repeated header as an array; we act on its first value. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
