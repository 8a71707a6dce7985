/**
 * Local development only: a fresh checkout runs (and `refinery token` mints JWTs) without any
 * setup. These values are public (they are in this file), so the gateway refuses them in production
 * and whenever it listens on anything but loopback (see index.ts).
 */
export const DEV_JWT_SECRET = 'refinery-local-development-jwt-secret-not-for-production';
export const DEV_URL_SIGNING_SECRET = 'refinery-local-development-url-signing-secret-not-for-production';
export const DEV_WEBHOOK_SECRET_KEY = 'refinery-local-development-webhook-secret-key-not-for-production';
