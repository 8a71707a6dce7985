/** inspectImage on images made here with sharp, and on bytes that only pretend to be images. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { inspectImage } from '../../src/adapters/images/image-inspection';
import { loadConfig } from '../../src/config';
import { NotAnImageError, PixelLimitExceededError } from '../../src/errors';

const defaults = loadConfig({}).download;

function noisy(width: number, height: number) {
  return sharp({
    create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A well-formed PNG of a few hundred bytes whose header declares width x height: the shape of a
 * decompression bomb (a real one would carry the rows too, compressed ~1000:1). Only the first rows
 * are present, which does not matter: the header alone must get it refused.
 */
function pngDeclaring(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, adaptive filtering, no interlace
  const someRows = zlib.deflateSync(Buffer.alloc(4 * (width + 1)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', someRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the inspection to fail, and it succeeded');
}

describe('accepted images', () => {
  it.each([
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
  ] as const)('reads a %s image from its bytes', async (format, contentType) => {
    const data = await noisy(120, 80).toFormat(format).toBuffer();
    await expect(inspectImage(data, { maxPixels: defaults.maxPixels })).resolves.toEqual({
      format,
      contentType,
      width: 120,
      height: 80,
    });
  });

  it('accepts an image of exactly maxPixels', async () => {
    const data = await noisy(100, 50).png().toBuffer();
    await expect(inspectImage(data, { maxPixels: 5_000 })).resolves.toMatchObject({ width: 100, height: 50 });
  });

  it('accepts a 20 MB image that does not compress, within the default limits', async () => {
    // Random pixels stored without compression: ~20.3 MB, just under the 20 MiB download limit.
    const width = 2600;
    const height = 2600;
    const data = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(data.length).toBeGreaterThan(20_000_000);
    expect(data.length).toBeLessThanOrEqual(defaults.maxBytes);

    const started = Date.now();
    await expect(inspectImage(data, { maxPixels: defaults.maxPixels })).resolves.toMatchObject({
      format: 'png',
      width,
      height,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('not images', () => {
  it.each([
    ['an HTML page', Buffer.from('<!doctype html><html><body><img src="cat.png"></body></html>')],
    ['an empty body', Buffer.alloc(0)],
    ['JSON', Buffer.from('{"error":"not found"}')],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
    ['a GIF (not a format we take)', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
    ['a RIFF file that is not WebP', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')],
  ])('refuses %s', async (_what, data) => {
    const error = await failureOf(inspectImage(data, { maxPixels: defaults.maxPixels }));
    expect(error).toBeInstanceOf(NotAnImageError);
    expect(error.message).toContain('not a PNG, JPEG or WebP');
  });

  it('refuses a PNG signature followed by garbage', async () => {
    const data = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2048)]);
    expect(await failureOf(inspectImage(data, { maxPixels: defaults.maxPixels }))).toBeInstanceOf(NotAnImageError);
  });

  it.each(['png', 'jpeg', 'webp'] as const)('refuses a truncated %s whose header is intact', async (format) => {
    const whole = await noisy(400, 300).toFormat(format).toBuffer();
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
    const error = await failureOf(inspectImage(truncated, { maxPixels: defaults.maxPixels }));
    expect(error).toBeInstanceOf(NotAnImageError);
  });

  it('says the PNG is truncated even though its header reads fine', async () => {
    const whole = await noisy(400, 300).png().toBuffer();
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
    await expect(sharp(truncated).metadata()).resolves.toMatchObject({ width: 400, height: 300 });
    const error = await failureOf(inspectImage(truncated, { maxPixels: defaults.maxPixels }));
    expect(error.message).toMatch(/^the png image is truncated or corrupt/);
  });
});

describe('pixel limits', () => {
  it('refuses a small file declaring 30000x30000 from its header alone, without decoding', async () => {
    const bomb = pngDeclaring(30_000, 30_000);
    expect(bomb.length).toBeLessThan(1_000);
    const started = Date.now();
    const error = await failureOf(inspectImage(bomb, { maxPixels: defaults.maxPixels }));
    expect(error).toBeInstanceOf(PixelLimitExceededError);
    expect(error.message).toBe('the image is 30000x30000 = 900000000 pixels; the limit is 100000000');
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('refuses a real, complete image over maxPixels', async () => {
    // A solid colour compresses ~200:1: the byte count says little about the pixel count.
    const data = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#4080c0' } })
      .png()
      .toBuffer();
    expect(data.length).toBeLessThan((2000 * 1000 * 3) / 100);
    const error = await failureOf(inspectImage(data, { maxPixels: 1_000_000 }));
    expect(error).toBeInstanceOf(PixelLimitExceededError);
  });
});

describe('images in files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'image-inspection-test-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  /** The bytes written to a file of their own, to inspect from there. */
  async function fileOf(data: Buffer): Promise<{ path: string }> {
    const file = path.join(dir, `image-${randomBytes(4).toString('hex')}`);
    await fs.writeFile(file, data);
    return { path: file };
  }

  it.each(['png', 'jpeg', 'webp'] as const)('reads a %s image from a file as from its bytes', async (format) => {
    const data = await noisy(120, 80).toFormat(format).toBuffer();
    await expect(inspectImage(await fileOf(data), { maxPixels: defaults.maxPixels })).resolves.toEqual(
      await inspectImage(data, { maxPixels: defaults.maxPixels }),
    );
  });

  it('refuses from a file what it refuses from bytes: not an image, empty, truncated, a bomb', async () => {
    const inspect = async (data: Buffer) => failureOf(inspectImage(await fileOf(data), { maxPixels: defaults.maxPixels }));
    const html = await inspect(Buffer.from('<!doctype html><html></html>'));
    expect(html).toBeInstanceOf(NotAnImageError);
    expect(html.message).toBe('the 28 bytes received are not a PNG, JPEG or WebP image');
    expect(await inspect(Buffer.alloc(0))).toBeInstanceOf(NotAnImageError);
    const whole = await noisy(400, 300).png().toBuffer();
    expect((await inspect(whole.subarray(0, Math.floor(whole.length * 0.6)))).message).toMatch(/^the png image is truncated or corrupt/);
    expect(await inspect(pngDeclaring(30_000, 30_000))).toBeInstanceOf(PixelLimitExceededError);
  });
});
