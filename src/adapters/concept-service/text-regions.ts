/**
 * Where a flat logo's lettering probably is: the foreground is split into connected shapes on a
 * coarse grid (at most GRID cells a side, so this costs one pass over the pixels whatever the
 * size), the biggest shape is the subject, and the shapes wholly below or above it that are short
 * compared with the image are the text. A heuristic for the common "mark over a word" layout; a
 * word inside the mark or beside it is not found, and the outcome then says the text could not be
 * guaranteed.
 */
import { isBackground, type Background, type RgbaImage } from './flat-logo-analysis';

const GRID = 256;
/** Lettering is shorter than this share of the image's height. */
const MAX_TEXT_HEIGHT = 0.3;

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The box (in pixels, inclusive) holding the lettering, or undefined when none is found. */
export function findTextRegion(image: RgbaImage, background: Background): Box | undefined {
  const { data, width, height } = image;
  const cell = Math.max(1, Math.ceil(Math.max(width, height) / GRID));
  const cols = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const filled = new Uint8Array(cols * rows);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / cell) * cols;
    for (let x = 0; x < width; x++) {
      if (!isBackground(data, (y * width + x) * 4, background)) filled[row + Math.floor(x / cell)] = 1;
    }
  }
  const shapes = components(filled, cols, rows);
  if (shapes.length < 2) return undefined;
  const subject = shapes.reduce((a, b) => (b.cells > a.cells ? b : a));
  const text = shapes.filter(
    (s) => s !== subject && (s.top > subject.bottom || s.bottom < subject.top) && (s.bottom - s.top + 1) <= rows * MAX_TEXT_HEIGHT,
  );
  if (text.length === 0) return undefined;
  // One cell of margin each side catches the anti-aliased rim of each letter.
  return {
    left: Math.max(0, (Math.min(...text.map((s) => s.left)) - 1) * cell),
    top: Math.max(0, (Math.min(...text.map((s) => s.top)) - 1) * cell),
    right: Math.min(width - 1, (Math.max(...text.map((s) => s.right)) + 2) * cell - 1),
    bottom: Math.min(height - 1, (Math.max(...text.map((s) => s.bottom)) + 2) * cell - 1),
  };
}

interface Shape extends Box {
  cells: number;
}

/** 8-connected components of the filled cells, by flood fill with an explicit stack. */
function components(filled: Uint8Array, cols: number, rows: number): Shape[] {
  const seen = new Uint8Array(filled.length);
  const stack = new Int32Array(filled.length);
  const shapes: Shape[] = [];
  for (let start = 0; start < filled.length; start++) {
    if (!filled[start] || seen[start]) continue;
    const shape: Shape = { left: cols, top: rows, right: -1, bottom: -1, cells: 0 };
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const k = stack[--top];
      const x = k % cols;
      const y = (k - x) / cols;
      shape.cells++;
      shape.left = Math.min(shape.left, x);
      shape.right = Math.max(shape.right, x);
      shape.top = Math.min(shape.top, y);
      shape.bottom = Math.max(shape.bottom, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
          const n = ny * cols + nx;
          if (filled[n] && !seen[n]) {
            seen[n] = 1;
            stack[top++] = n;
          }
        }
      }
    }
    shapes.push(shape);
  }
  return shapes;
}
