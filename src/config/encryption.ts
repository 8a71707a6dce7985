/**
 * Payload encryption (the keys of src/temporal/encryption-codec.ts) and the gateway's codec server,
 * which lets operators read encrypted runs in the Temporal Web UI.
 */
import { z } from 'zod';
import { defineConcern } from './concern';
import { bool, optionalText, secretKey } from './env';

/** AES-256. */
export const KEY_BYTES = 32;

export interface EncryptionKey {
  /** Not secret: it is written beside every payload it encrypted. */
  id: string;
  key: Buffer;
}

/** Who may use the gateway's /codec endpoints, and from which browser origins. */
export interface CodecServerConfig {
  corsOrigins: string[];
  authToken?: string;
  operatorClaim: { name: string; value: string };
  authDisabled: boolean;
}

export const payloadEncryption = defineConcern({
  title: 'Payload encryption',
  variables: {
    PAYLOAD_ENCRYPTION_KEYS: optionalText
      .transform((text, ctx) => (text === undefined ? undefined : parseEncryptionKeys(text, ctx)))
      .meta({
        description: '`keyId:base64key[,…]`, 32-byte AES-256 keys (`openssl rand -base64 32`); the first encrypts, all decrypt (rotation). Errors name the entry, never the key.',
        defaultText: '(unset: payloads in clear)',
      }),
  },
  /** Absent: payloads go to Temporal in clear. */
  options: (e): { payloadEncryption?: { keys: EncryptionKey[] } } => ({
    payloadEncryption: e.PAYLOAD_ENCRYPTION_KEYS ? { keys: e.PAYLOAD_ENCRYPTION_KEYS } : undefined,
  }),
});

export const codecServer = defineConcern({
  title: 'Codec server',
  variables: {
    CODEC_CORS_ORIGINS: z
      .string()
      .default('http://localhost:8233')
      .transform((text) => text.split(',').map((o) => o.trim()).filter(Boolean))
      .pipe(z.array(z.url().refine((o) => new URL(o).origin === o, 'must be an origin like https://ui.example.com (no path)')))
      .describe('Origins of the Temporal Web UI allowed to call `/codec` from a browser (comma-separated, no paths).'),
    CODEC_AUTH_TOKEN: secretKey().optional().describe("The operator's bearer token for `/codec` (tools such as `temporal --codec-auth`), at least 32 characters; never a user's credential."),
    CODEC_OPERATOR_CLAIM: z
      .string()
      .regex(/^[^=\s]+=[^=\s]+$/, 'must be claim=value')
      .default('refinery_role=operator')
      .describe("`claim=value` a JWT from the identity provider must carry to use `/codec` (the Web UI passing an operator's token)."),
    CODEC_AUTH_DISABLED: bool.default(false).describe("`/codec` without credentials, for the dev server's UI, which sends none: local development on loopback only, refused in production."),
  },
  options: (e): { codec: CodecServerConfig } => {
    const [name, value] = e.CODEC_OPERATOR_CLAIM.split('=');
    return { codec: { corsOrigins: e.CODEC_CORS_ORIGINS, authToken: e.CODEC_AUTH_TOKEN, operatorClaim: { name, value }, authDisabled: e.CODEC_AUTH_DISABLED } };
  },
});

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Messages name the entry and the key id, never the key. */
function parseEncryptionKeys(text: string, ctx: z.RefinementCtx): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  for (const [index, entry] of text.split(',').entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const encoded = entry.slice(separator + 1).trim();
    const where = `entry ${index + 1}`;
    if (separator < 0 || !KEY_ID.test(id)) {
      ctx.addIssue({ code: 'custom', message: `${where} is not keyId:base64key (key ids: letters, digits, . _ -, at most 64)` });
      continue;
    }
    const key = Buffer.from(encoded, 'base64');
    if (!BASE64.test(encoded) || key.length !== KEY_BYTES) {
      ctx.addIssue({ code: 'custom', message: `key "${id}" is not ${KEY_BYTES} bytes of base64 (make one with: openssl rand -base64 32)` });
      continue;
    }
    if (keys.some((k) => k.id === id)) ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
    keys.push({ id, key });
  }
  return keys;
}
