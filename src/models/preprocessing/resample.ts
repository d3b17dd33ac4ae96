/**
 * Pillow's `Image.resize` (ImagingResample, libImaging/Resample.c) for 8-bit RGB, to the bit:
 * separable convolution, horizontal pass first; the filter is stretched by the scale factor when
 * shrinking (antialiasing); weights are normalised per output pixel, then turned into 22-bit
 * fixed point; each pass rounds and clips to uint8, so the vertical pass reads the clipped
 * intermediate image exactly as Pillow does. Hugging Face's image processors (and OpenAI's
 * `clip._transform`) resize with Pillow, so this is what makes our pixels the model's pixels.
 *
 * `resizeRgbWindow` computes only a window of the output (the centre crop): every output pixel
 * depends only on its own coefficients, so the window equals the same crop of a full resize —
 * and only the window's coefficients are computed, so memory follows the window and the input
 * rows it reads, never the size of the full resize (a 1×100000 image resized to a shortest edge
 * of 224 would be 22 400 000 rows tall). The passes run in WebAssembly SIMD (`resample-simd.ts`)
 * when they can, with identical bytes.
 */

import { pairedWeights, resizeWindowSimd, type PairedWeights, type PassCoefficients } from "./resample-simd.js";

export interface Filter {
  /** Names the filter in caches. */
  readonly name: string;
  readonly support: number;
  weight(x: number): number;
}

/** Pillow BICUBIC (resample=3): cubic convolution with a = -0.5. */
export const BICUBIC: Filter = {
  name: "bicubic",
  support: 2,
  weight(x: number): number {
    const a = -0.5;
    const t = Math.abs(x);
    if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
    return 0;
  },
};

/** Pillow BILINEAR (resample=2): the triangle filter. */
export const BILINEAR: Filter = {
  name: "bilinear",
  support: 1,
  weight(x: number): number {
    const t = Math.abs(x);
    return t < 1 ? 1 - t : 0;
  },
};

/**
 * Per output pixel of a window `[from, from+count)` of the output: first input index, tap count,
 * and the normalised weights (Pillow `precompute_coeffs`, whose values do not depend on the
 * window), indexed from the window's start.
 */
export interface Coefficients {
  readonly taps: number;
  /** `[first, count]` per output pixel of the window. */
  readonly bounds: Int32Array;
  /** `taps` weights per output pixel of the window, zero-padded. */
  readonly weights: Float64Array;
}

export function precomputeCoefficients(inSize: number, outSize: number, filter: Filter, from = 0, count = outSize - from): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const weights = new Float64Array(count * taps);
  for (let xx = 0; xx < count; xx++) {
    const center = (from + xx + 0.5) * scale;
    // C casts truncate toward zero, which is what Pillow's "round the value" relies on.
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const inputs = Math.min(inSize, Math.trunc(center + support + 0.5)) - first;
    let total = 0;
    for (let x = 0; x < inputs; x++) {
      const w = filter.weight((x + first - center + 0.5) / filterScale);
      weights[xx * taps + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < inputs; x++) weights[xx * taps + x] /= total;
    bounds[xx * 2] = first;
    bounds[xx * 2 + 1] = inputs;
  }
  return { taps, bounds, weights };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);
const SATURATED = 2 ** (PRECISION_BITS + 8);

/** Pillow `normalize_coeffs_8bpc`: round half away from zero into 22-bit fixed point. */
export function fixedPointWeights(weights: Float64Array): Int32Array {
  const fixed = new Int32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] * ONE;
    fixed[i] = w < 0 ? Math.trunc(w - 0.5) : Math.trunc(w + 0.5);
  }
  return fixed;
}

/** Pillow `clip8`: the accumulator (with its rounding half already added) back to a byte. */
function clip8(accumulator: number): number {
  if (accumulator >= SATURATED) return 255;
  if (accumulator <= 0) return 0;
  return accumulator >> PRECISION_BITS;
}

/** One pass's coefficients for one window of its output, as the passes use them. */
interface PassPlan extends PassCoefficients {
  /** The horizontal weights as the SIMD kernel takes them, made on first use. */
  paired(): PairedWeights;
}

/**
 * Coefficients depend only on the sizes, the window and the filter, and a video's frames share
 * them: kept for the few in use rather than recomputed for every image.
 */
const plans = new Map<string, PassPlan>();
/** Plans kept. */
const PLANS_KEPT = 32;

function passCoefficients(inSize: number, outSize: number, filter: Filter, from: number, count: number): PassPlan {
  const key = `${inSize}>${outSize}[${from}+${count}]:${filter.name}`;
  let plan = plans.get(key);
  if (plan) return plan;
  const { taps, bounds, weights } = precomputeCoefficients(inSize, outSize, filter, from, count);
  const kernel = fixedPointWeights(weights);
  let paired: PairedWeights | undefined;
  plan = { taps, bounds, kernel, paired: () => (paired ??= pairedWeights({ taps, bounds, kernel }, 0, count)) };
  if (plans.size >= PLANS_KEPT) plans.clear();
  plans.set(key, plan);
  return plan;
}

export interface RgbPixels {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, row-major. */
  readonly data: Uint8Array;
}

export interface Window {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Pixels `[left, left+width) × [top, top+height)` of Pillow's resize of `image` to
 * `outWidth × outHeight`. The window must lie inside the output.
 */
export function resizeRgbWindow(
  image: RgbPixels,
  outWidth: number,
  outHeight: number,
  filter: Filter,
  window: Window,
  options: { simd?: boolean } = {},
): Uint8Array {
  const { left, top, width, height } = window;
  if (left < 0 || top < 0 || width < 0 || height < 0 || left + width > outWidth || top + height > outHeight) {
    throw new RangeError(`window ${width}x${height}+${left}+${top} is outside the ${outWidth}x${outHeight} output`);
  }
  // Both passes' coefficients cover the window only, so output indices below are the window's.
  const vertical = passCoefficients(image.height, outHeight, filter, top, height);
  // Input rows the window's output rows read (Pillow's ybox_first/ybox_last).
  const firstRow = height > 0 ? vertical.bounds[0] : 0;
  const lastRow = height > 0 ? vertical.bounds[(height - 1) * 2] + vertical.bounds[(height - 1) * 2 + 1] : 0;
  if (options.simd !== false && outWidth !== image.width && outHeight !== image.height && height > 0 && width > 0) {
    const horizontal = passCoefficients(image.width, outWidth, filter, left, width);
    const simd = resizeWindowSimd(image, firstRow, lastRow - firstRow, horizontal.bounds, horizontal.paired(), vertical, width, height);
    if (simd) return simd;
  }
  const rows =
    outWidth === image.width
      ? sliceColumns(image, firstRow, lastRow - firstRow, left, width)
      : horizontalPass(image, firstRow, lastRow - firstRow, passCoefficients(image.width, outWidth, filter, left, width), width);
  if (outHeight === image.height) return rows.subarray((top - firstRow) * width * 3, (top - firstRow + height) * width * 3);
  return verticalPass(rows, width, vertical, firstRow, height);
}

/** Columns `0..width` of the coefficients' window, for input rows `firstRow..firstRow+rowCount`. */
function horizontalPass(image: RgbPixels, firstRow: number, rowCount: number, coefficients: PassCoefficients, width: number): Uint8Array {
  const { taps, bounds, kernel } = coefficients;
  const src = image.data;
  const out = new Uint8Array(rowCount * width * 3);
  let o = 0;
  // Sums stay within int32 (Pillow's own accumulator type), so `| 0` keeps V8 on integer maths.
  for (let y = 0; y < rowCount; y++) {
    const rowStart = (firstRow + y) * image.width * 3;
    for (let x = 0; x < width; x++) {
      const count = bounds[x * 2 + 1];
      const k = x * taps;
      let p = rowStart + bounds[x * 2] * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0; i < count; i++, p += 3) {
        const w = kernel[k + i];
        r = (r + src[p] * w) | 0;
        g = (g + src[p + 1] * w) | 0;
        b = (b + src[p + 2] * w) | 0;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return out;
}

function sliceColumns(image: RgbPixels, firstRow: number, rowCount: number, left: number, width: number): Uint8Array {
  const out = new Uint8Array(rowCount * width * 3);
  for (let y = 0; y < rowCount; y++) {
    const start = ((firstRow + y) * image.width + left) * 3;
    out.set(image.data.subarray(start, start + width * 3), y * width * 3);
  }
  return out;
}

/** `rows` holds input rows from `firstRow` on, already `width` pixels wide; output rows `0..height` of the coefficients' window. */
function verticalPass(rows: Uint8Array, width: number, coefficients: PassCoefficients, firstRow: number, height: number): Uint8Array {
  const { taps, bounds, kernel } = coefficients;
  const stride = width * 3;
  const out = new Uint8Array(height * stride);
  // Row by row, so every tap reads one contiguous input row.
  const sums = new Int32Array(stride);
  for (let y = 0; y < height; y++) {
    const count = bounds[y * 2 + 1];
    const k = y * taps;
    sums.fill(HALF);
    for (let i = 0; i < count; i++) {
      const w = kernel[k + i];
      const base = (bounds[y * 2] - firstRow + i) * stride;
      for (let c = 0; c < stride; c++) sums[c] = (sums[c] + rows[base + c] * w) | 0;
    }
    const o = y * stride;
    for (let c = 0; c < stride; c++) out[o + c] = clip8(sums[c]);
  }
  return out;
}
