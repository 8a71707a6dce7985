/**
 * How much the download stage's image check costs, against the obvious alternative.
 * `inspectImage` decodes the whole image once into a 1x1 thumbnail (so truncated data is caught);
 * the baseline decodes it with `stats()`, which also proves every pixel readable. Both run here, in
 * one process, on the same images. Run: `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { inspectImage } from '../src/adapters/images/image-inspection';
import { noisyPng } from '../test/harness/images';

const RUNS = 7;
const MAX_PIXELS = 100_000_000;

async function median(run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up: libvips caches, JIT
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

async function main(): Promise<void> {
  sharp.cache(false); // every run decodes from scratch, as each download does
  const png = await noisyPng(19.5 * 1024 * 1024);
  const jpeg = await sharp(png).jpeg({ quality: 90 }).toBuffer();
  const big = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#345' } }).png().toBuffer();
  const cases: Array<[string, Buffer]> = [
    [`noisy PNG ${(png.length / 1e6).toFixed(1)} MB`, png],
    [`JPEG ${(jpeg.length / 1e6).toFixed(1)} MB`, jpeg],
    [`100 Mpx PNG ${(big.length / 1e6).toFixed(2)} MB`, big],
  ];
  console.log(`median of ${RUNS} runs, ms`);
  console.log(['image'.padEnd(24), 'inspectImage', 'stats() baseline', 'ratio'].join('  '));
  for (const [name, data] of cases) {
    const inspect = await median(() => inspectImage(data, { maxPixels: MAX_PIXELS }));
    const baseline = await median(() => sharp(data, { limitInputPixels: MAX_PIXELS }).stats());
    console.log(
      [name.padEnd(24), inspect.toFixed(1).padStart(12), baseline.toFixed(1).padStart(16), `${(baseline / inspect).toFixed(1)}x`.padStart(5)].join('  '),
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
