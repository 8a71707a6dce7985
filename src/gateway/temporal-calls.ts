/**
 * How the gateway's calls to Temporal ride out an unreachable server. Someone waits on each answer,
 * so a call tries 4 times (about 0.6 s of backoff, plus the connection attempts) and then fails;
 * the error mapping answers 503 with Retry-After (src/gateway/http/errors.ts). The SDK's default,
 * 10 tries and about 15 s of backoff, held every request for about 20 s before that 503.
 */
import type { ClientCallOptions } from '../temporal/connection';

export const GATEWAY_TEMPORAL_CALLS: ClientCallOptions = { unreachableAttempts: 4 };
