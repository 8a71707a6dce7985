/**
 * Webhook signing secrets at rest. The worker must read a secret to sign, so it cannot be hashed like
 * an API key; it is sealed with AES-256-GCM under WEBHOOK_SECRET_KEY, which only the gateway and the
 * worker hold. A database dump or a read-only replica therefore cannot forge events. The endpoint id
 * is the additional authenticated data, so a sealed secret moved onto another row fails to open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    // Any length of configured key becomes the 32 bytes AES-256 needs.
    this.key = createHash('sha256').update(secretKey).digest();
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(':');
  }

  open(sealed: string, boundTo: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || !data) throw new Error('sealed webhook secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** Standard Webhooks secrets: `whsec_` + base64 of 32 random bytes (the spec allows 24 to 64). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
