/**
 * sharp as this service uses it: import it from here, not from 'sharp', so the settings below hold
 * wherever an image is decoded.
 *
 * libvips' operation cache is off. It keeps the last operations, their images and open input files
 * (up to 50 MB, 20 files, 100 operations by default) for a caller that repeats one, which never
 * happens here: every image is processed once. Kept, a 20 MB image's decoded rows or output stayed
 * resident after its refinement, and a path reused for a new file could be answered from the cache.
 */
import sharp from 'sharp';

sharp.cache(false);

export default sharp;
