import sharp from 'sharp';

/** A small concept image: a blue-grey square with a lighter "logo" disc. */
export async function conceptPng(size = 64): Promise<Buffer> {
  const disc = Buffer.from(
    `<svg width="${size}" height="${size}"><circle cx="${size / 2}" cy="${size / 2}" r="${size / 3}" fill="#dde4ee"/></svg>`,
  );
  return sharp({ create: { width: size, height: size, channels: 3, background: { r: 70, g: 90, b: 130 } } })
    .composite([{ input: disc }])
    .png()
    .toBuffer();
}

/** A PNG of about `bytes` bytes: random pixels do not compress. */
export async function noisyPng(bytes: number): Promise<Buffer> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  return sharp(noisePixels(side), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

/** `side` × `side` RGB pixels from a xorshift stream: the same noise every time, like a photo's grain. */
export function noisePixels(side: number): Buffer {
  const raw = Buffer.alloc(side * side * 3);
  let x = 0x2545f491;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = x & 0xff;
  }
  return raw;
}
