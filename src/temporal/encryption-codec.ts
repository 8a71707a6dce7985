/**
 * Encrypts every Temporal payload with AES-256-GCM before it leaves the process, so prompts,
 * descriptions and URLs never reach the server's history, its database or the Web UI in clear.
 *
 * The whole payload (its metadata, e.g. `encoding: json/plain`, and its data) is serialized as a
 * protobuf and encrypted; the result is a payload with `encoding: binary/encrypted` and the id of
 * the key in its metadata. Key rotation: the first key encrypts, every key decrypts, so old runs
 * stay readable while their key is kept. Payloads that are not encrypted pass through on decode:
 * runs started before encryption was turned on stay readable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KEY_BYTES, type EncryptionKey } from '../config';
import { PayloadDecryptionError } from '../errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';
/** GCM's standard nonce size; a fresh random one per payload (2^32 payloads per key stay far below the collision bound). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

export class EncryptionCodec implements PayloadCodec {
  private readonly current: EncryptionKey;
  private readonly keys: ReadonlyMap<string, Buffer>;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('an encryption codec needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== KEY_BYTES) throw new Error(`encryption key "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES}`);
    }
    this.keys = new Map(keys.map(({ id, key }) => [id, key]));
    if (this.keys.size !== keys.length) throw new Error('encryption key ids must be unique');
    this.current = keys[0];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    // The key id is authenticated too: a payload relabelled with another key id fails to decrypt.
    cipher.setAAD(Buffer.from(id));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA_KEY]: Buffer.from(id) },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = metadataText(payload, METADATA_ENCODING_KEY);
    if (encoding !== ENCRYPTED_ENCODING) return payload;
    const id = metadataText(payload, KEY_ID_METADATA_KEY);
    if (id === undefined) throw new PayloadDecryptionError(`an encrypted payload names no key (metadata "${KEY_ID_METADATA_KEY}" is missing)`);
    const key = this.keys.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key "${id}", which is not configured (configured: ${[...this.keys.keys()].join(', ')}); add it to PAYLOAD_ENCRYPTION_KEYS to read it`,
      );
    }
    const sealed = Buffer.from(payload.data ?? new Uint8Array());
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`an encrypted payload (key "${id}") is too short to be one`);
    try {
      const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch (err) {
      throw new PayloadDecryptionError(`an encrypted payload (key "${id}") failed authentication: it was altered, or encrypted with another key of that id`, {
        cause: err,
      });
    }
  }
}

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}
