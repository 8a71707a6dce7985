/** The payload codec alone, and its configuration: AES-256-GCM per payload, key ids, rotation, no key in any message. */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { loadConfig } from '../../src/config';
import { PayloadDecryptionError } from '../../src/errors';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA_KEY } from '../../src/temporal/encryption-codec';

const keyA = { id: 'A', key: randomBytes(32) };
const keyB = { id: 'B', key: randomBytes(32) };
const prompt = 'Make it more autumn-themed with orange and red';
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('EncryptionCodec', () => {
  test('encrypts each payload with a fresh IV, names the key, and decrypts to the same payload', async () => {
    const codec = new EncryptionCodec([keyA]);
    const original = plain({ refinementPrompt: prompt });
    const [first, second] = await codec.encode([original, original]);
    expect(text(first.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(text(first.metadata![KEY_ID_METADATA_KEY])).toBe('A');
    expect(Object.keys(first.metadata!).sort()).toEqual([METADATA_ENCODING_KEY, KEY_ID_METADATA_KEY].sort());
    expect(text(first.data)).not.toContain('autumn');
    expect(Buffer.from(first.data!).equals(Buffer.from(second.data!))).toBe(false); // fresh IV
    expect(Buffer.from(first.data!).subarray(0, 12).equals(Buffer.from(second.data!).subarray(0, 12))).toBe(false);

    const [decoded] = await codec.decode([first]);
    expect(text(decoded.metadata![METADATA_ENCODING_KEY])).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ refinementPrompt: prompt });
  });

  test('an altered ciphertext, IV, tag or key id fails authentication', async () => {
    const codec = new EncryptionCodec([keyA, { id: 'A2', key: keyA.key }]);
    const [sealed] = await codec.encode([plain(prompt)]);
    const data = Buffer.from(sealed.data!);
    for (const index of [0, 12, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[index] ^= 0x01;
      await expect(codec.decode([{ ...sealed, data: tampered }])).rejects.toThrow(PayloadDecryptionError);
      await expect(codec.decode([{ ...sealed, data: tampered }])).rejects.toThrow('key "A") failed authentication');
    }
    // The same key under another id: the id is authenticated data, so relabelling is caught.
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, [KEY_ID_METADATA_KEY]: Buffer.from('A2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow('key "A2") failed authentication');
    await expect(codec.decode([{ ...sealed, data: data.subarray(0, 20) }])).rejects.toThrow('too short');
  });

  test('an unknown key id is a clear error naming it and the configured ones', async () => {
    const [sealed] = await new EncryptionCodec([keyA]).encode([plain(prompt)]);
    const onlyB = new EncryptionCodec([keyB]);
    await expect(onlyB.decode([sealed])).rejects.toThrow(PayloadDecryptionError);
    await expect(onlyB.decode([sealed])).rejects.toThrow('encrypted with key "A", which is not configured (configured: B)');
    const { [KEY_ID_METADATA_KEY]: _, ...noKeyId } = sealed.metadata!;
    await expect(onlyB.decode([{ ...sealed, metadata: noKeyId }])).rejects.toThrow('names no key');
  });

  test('rotation: the first key encrypts, every key decrypts', async () => {
    const [old] = await new EncryptionCodec([keyA]).encode([plain(prompt)]);
    const rotated = new EncryptionCodec([keyB, keyA]);
    const [fresh] = await rotated.encode([plain(prompt)]);
    expect(text(fresh.metadata![KEY_ID_METADATA_KEY])).toBe('B');
    const decoded = await rotated.decode([old, fresh]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([prompt, prompt]);
  });

  test('payloads that are not encrypted pass through decode untouched', async () => {
    const codec = new EncryptionCodec([keyA]);
    const payloads = [plain({ refinementPrompt: prompt }), plain(null), plain(new Uint8Array([1, 2, 3])), {}];
    expect(await codec.decode(payloads)).toEqual(payloads);
  });

  test('refuses keys that are not 32 bytes and duplicate ids', () => {
    expect(() => new EncryptionCodec([])).toThrow('at least one key');
    expect(() => new EncryptionCodec([{ id: 'short', key: randomBytes(16) }])).toThrow('"short" is 16 bytes');
    expect(() => new EncryptionCodec([keyA, { id: 'A', key: randomBytes(32) }])).toThrow('unique');
  });
});

describe('PAYLOAD_ENCRYPTION_KEYS and the codec settings', () => {
  const b64 = (bytes: Buffer) => bytes.toString('base64');

  test('off by default; keys parsed in order, the first encrypting', () => {
    expect(loadConfig({}).payloadEncryption).toBeUndefined();
    expect(loadConfig({ PAYLOAD_ENCRYPTION_KEYS: ' ' }).payloadEncryption).toBeUndefined();
    const config = loadConfig({ PAYLOAD_ENCRYPTION_KEYS: `B:${b64(keyB.key)}, A:${b64(keyA.key)}` });
    expect(config.payloadEncryption!.keys).toEqual([keyB, keyA]);
    expect(config.codec).toEqual({
      corsOrigins: ['http://localhost:8233'],
      authToken: undefined,
      operatorClaim: { name: 'refinery_role', value: 'operator' },
      authDisabled: false,
    });
  });

  test.each([
    ['a short key', (k: string) => `A:${k.slice(0, 20)}`, 'key "A" is not 32 bytes of base64'],
    ['no key id', (k: string) => k, 'entry 1 is not keyId:base64key'],
    ['a 48-byte key', (k: string) => `A:${k}${b64(randomBytes(16))}`, 'key "A" is not 32 bytes'],
    ['a duplicate id', (k: string) => `A:${k},A:${k}`, 'key id "A" appears twice'],
    ['not base64', (k: string) => `A:${k.slice(0, -2)}!!`, 'key "A" is not 32 bytes of base64'],
  ])('refuses %s without printing the key', (_, value, message) => {
    const key = b64(keyA.key);
    let error: Error | undefined;
    try {
      loadConfig({ PAYLOAD_ENCRYPTION_KEYS: value(key) });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toContain(`PAYLOAD_ENCRYPTION_KEYS: ${message}`);
    expect(error?.message).not.toContain(key.slice(0, 12));
  });

  test('codec origins must be origins; unauthenticated codec only on loopback and never in production', () => {
    expect(loadConfig({ CODEC_CORS_ORIGINS: 'https://ui.example.com, http://localhost:8233' }).codec.corsOrigins).toEqual([
      'https://ui.example.com',
      'http://localhost:8233',
    ]);
    expect(() => loadConfig({ CODEC_CORS_ORIGINS: 'https://ui.example.com/path' })).toThrow('CODEC_CORS_ORIGINS');
    expect(() => loadConfig({ CODEC_AUTH_TOKEN: 'short' })).toThrow('CODEC_AUTH_TOKEN: must be at least 32 characters');
    expect(() => loadConfig({ CODEC_OPERATOR_CLAIM: 'role' })).toThrow('CODEC_OPERATOR_CLAIM: must be claim=value');
    expect(loadConfig({ CODEC_AUTH_DISABLED: 'true' }).codec.authDisabled).toBe(true);
    expect(() => loadConfig({ CODEC_AUTH_DISABLED: 'true', GATEWAY_HOST: '0.0.0.0' })).toThrow('needs GATEWAY_HOST on loopback');
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), URL_SIGNING_SECRET: 'y'.repeat(32) };
    expect(() => loadConfig({ ...production, CODEC_AUTH_DISABLED: 'true' })).toThrow('CODEC_AUTH_DISABLED is refused in production');
  });
});
