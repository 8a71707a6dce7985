/**
 * The edits that move pixels, on one decoded RGBA buffer: flip in place; scale, pad and rotate by
 * resampling into a second buffer of the same size, the uncovered area filled with the background.
 */
import { clamp, type Background, type RgbaImage } from './flat-logo-analysis';

export function mirror({ data, width, height }: RgbaImage, axis: 'horizontal' | 'vertical'): void {
  const swap = (a: number, b: number) => {
    for (let c = 0; c < 4; c++) {
      const v = data[a + c];
      data[a + c] = data[b + c];
      data[b + c] = v;
    }
  };
  if (axis === 'horizontal') {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width >> 1; x++) swap((y * width + x) * 4, (y * width + width - 1 - x) * 4);
    }
  } else {
    const row = width * 4;
    const scratch = Buffer.alloc(row);
    for (let y = 0; y < height >> 1; y++) {
      const a = y * row;
      const b = (height - 1 - y) * row;
      data.copy(scratch, 0, a, a + row);
      data.copy(data, a, b, b + row);
      scratch.copy(data, b);
    }
  }
}

/**
 * The scale that keeps the subject on the canvas (never more than asked), and the shift that
 * moves it back inside when growing about its own centre would push it over an edge.
 */
export function fitScale(box: { left: number; right: number; top: number; bottom: number }, { width, height }: RgbaImage, factor: number) {
  const w = box.right - box.left + 1;
  const h = box.bottom - box.top + 1;
  const fitted = Math.min(factor, width / w, height / h);
  const centre = { x: (box.left + box.right + 1) / 2, y: (box.top + box.bottom + 1) / 2 };
  const inside = (c: number, half: number, size: number) => Math.min(Math.max(c, half), size - half) - c;
  const shift = { x: inside(centre.x, (w * fitted) / 2, width), y: inside(centre.y, (h * fitted) / 2, height) };
  return { factor: fitted < factor ? Math.floor(fitted * 100) / 100 : factor, centre, shift };
}

export function canvasCentre({ width, height }: RgbaImage) {
  return { x: width / 2, y: height / 2 };
}

/**
 * Scales by `factor` about `centre` and moves by `shift`, then rotates by `degrees` clockwise about the canvas centre,
 * on the same canvas. Each output pixel samples the input bilinearly at its inverse position;
 * samples off the input are background.
 */
export function transform(
  image: RgbaImage,
  background: Background,
  centre: { x: number; y: number },
  factor: number,
  degrees: number,
  shift: { x: number; y: number } = { x: 0, y: 0 },
): RgbaImage {
  const { data, width, height } = image;
  const out = Buffer.alloc(data.length);
  const fill = [background.rgb[0], background.rgb[1], background.rgb[2], background.transparent ? 0 : 255];
  const pivot = canvasCentre(image);
  const radians = (degrees * Math.PI) / 180;
  // Snap right angles so a quarter turn moves pixels exactly, with no interpolation blur.
  const snap = (v: number) => (Math.abs(v - Math.round(v)) < 1e-12 ? Math.round(v) : v);
  const cos = snap(Math.cos(radians));
  const sin = snap(Math.sin(radians));
  const sample = (x: number, y: number, c: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? fill[c] : data[(y * width + x) * 4 + c];
  // Each output row walks the input along a straight line, so the source position is stepped, not recomputed.
  const stepX = { x: cos / factor, y: -sin / factor };
  for (let oy = 0; oy < height; oy++) {
    // Pixel centres: undo the rotation about the pivot, then the scale about the subject's centre.
    const rx = 0.5 - pivot.x;
    const ry = oy + 0.5 - pivot.y;
    let sx = (cos * rx + sin * ry + pivot.x - shift.x - centre.x) / factor + centre.x - 0.5;
    let sy = (-sin * rx + cos * ry + pivot.y - shift.y - centre.y) / factor + centre.y - 0.5;
    let o = oy * width * 4;
    for (let ox = 0; ox < width; ox++, sx += stepX.x, sy += stepX.y, o += 4) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        const i00 = (y0 * width + x0) * 4;
        const i01 = i00 + width * 4;
        for (let c = 0; c < 4; c++) {
          out[o + c] = clamp(data[i00 + c] * w00 + data[i00 + 4 + c] * w10 + data[i01 + c] * w01 + data[i01 + 4 + c] * w11);
        }
      } else {
        for (let c = 0; c < 4; c++) {
          out[o + c] = clamp(
            sample(x0, y0, c) * w00 + sample(x0 + 1, y0, c) * w10 + sample(x0, y0 + 1, c) * w01 + sample(x0 + 1, y0 + 1, c) * w11,
          );
        }
      }
    }
  }
  return { data: out, width, height };
}
