/**
 * The resampling passes of `resample.ts` in WebAssembly SIMD (`wasm/resample.as.ts`): the same
 * integer maths, so the same bytes, several times faster — on two cores the resize competes with
 * inference for the CPU, so its cost is throughput lost. Used when the runtime supports SIMD
 * (Node ≥ 16 does); `resample.ts` falls back to its TypeScript passes otherwise.
 */
import { Arena, loadKernel, type WasmMemory } from "../../wasm/kernel.js";
import { WASM_BASE64 } from "./wasm/resample.wasm.js";

interface Kernel {
  memory: WasmMemory;
  horizontal(
    src: number,
    srcWidth: number,
    firstRow: number,
    rowCount: number,
    bounds: number,
    weights: number,
    pairs: number,
    left: number,
    width: number,
    out: number,
  ): void;
  vertical(rows: number, stride: number, bounds: number, kernel: number, taps: number, firstRow: number, top: number, height: number, out: number): void;
}

let kernel: Kernel | null | undefined;

export interface PassCoefficients {
  readonly taps: number;
  readonly bounds: Int32Array;
  /** Fixed-point weights (`fixedPointWeights`). */
  readonly kernel: Int32Array;
}

/** The kernels read and write whole 16-byte vectors: every region gets this much room after it. */
const SLACK = 16;
const SPLIT_BITS = 11;

/** Horizontal weights laid out for the kernel (`pairedWeights`). */
export interface PairedWeights {
  /** Tap pairs per column. */
  readonly pairs: number;
  readonly weights: Int16Array;
}

/**
 * The horizontal weights as the kernel takes them: per window column, per pair of taps, eight
 * i16 lanes `[w_t, w_t+1] × 3, 0, 0` of the weights' high parts (w >> 11), then the same of their
 * low parts (w & 2047), zero past the column's tap count.
 */
export function pairedWeights(horizontal: PassCoefficients, left: number, width: number): PairedWeights {
  const pairs = Math.ceil(horizontal.taps / 2);
  const weights = new Int16Array(width * pairs * 16);
  for (let x = 0; x < width; x++) {
    const count = horizontal.bounds[(left + x) * 2 + 1];
    for (let t = 0; t < count; t++) {
      const w = horizontal.kernel[(left + x) * horizontal.taps + t];
      const at = (x * pairs + (t >> 1)) * 16 + (t & 1);
      for (let channel = 0; channel < 3; channel++) {
        weights[at + channel * 2] = w >> SPLIT_BITS;
        weights[at + 8 + channel * 2] = w & ((1 << SPLIT_BITS) - 1);
      }
    }
  }
  return { pairs, weights };
}

/** Input rows copied into the kernel's memory at a time: its memory never shrinks, so it holds a strip, not the image. */
const STRIP_BYTES = 1024 * 1024;

/**
 * Both passes in WebAssembly over one window of the output, whose coefficients (`horizontalBounds`
 * and `horizontal`, `vertical`) cover that window only: input rows `firstRow..firstRow+rowCount`
 * of `src` → horizontal pass to the window's `width` columns, a strip of input rows at a time →
 * vertical pass to its `height` rows. Null when SIMD is unavailable.
 */
export function resizeWindowSimd(
  src: { width: number; data: Uint8Array },
  firstRow: number,
  rowCount: number,
  horizontalBounds: Int32Array,
  horizontal: PairedWeights,
  vertical: PassCoefficients,
  width: number,
  height: number,
): Uint8Array | null {
  if (kernel === undefined) kernel = loadKernel<Kernel>(WASM_BASE64);
  const k = kernel;
  if (!k) return null;
  const stride = width * 3;
  const srcStride = src.width * 3;
  const stripRows = Math.min(rowCount, Math.max(4, Math.floor(STRIP_BYTES / srcStride)));
  const arena = new Arena(k.memory);
  const strip = arena.take(stripRows * srcStride + SLACK);
  const hBounds = arena.take(horizontalBounds.byteLength);
  const hWeights = arena.take(horizontal.weights.byteLength);
  const rows = arena.take(rowCount * stride + SLACK);
  const vBounds = arena.take(vertical.bounds.byteLength);
  const vKernel = arena.take(vertical.kernel.byteLength);
  const out = arena.take(height * stride + SLACK);
  const memory = k.memory.buffer; // after all growth
  new Int32Array(memory, hBounds, horizontalBounds.length).set(horizontalBounds);
  new Int16Array(memory, hWeights, horizontal.weights.length).set(horizontal.weights);
  new Int32Array(memory, vBounds, vertical.bounds.length).set(vertical.bounds);
  new Int32Array(memory, vKernel, vertical.kernel.length).set(vertical.kernel);
  const bytes = new Uint8Array(memory);
  // Strips in order: the horizontal kernel writes a byte past a strip's last row, which the next strip then overwrites.
  for (let done = 0; done < rowCount; done += stripRows) {
    const count = Math.min(stripRows, rowCount - done);
    const start = (firstRow + done) * srcStride;
    bytes.set(src.data.subarray(start, start + count * srcStride), strip);
    k.horizontal(strip, src.width, 0, count, hBounds, hWeights, horizontal.pairs, 0, width, rows + done * stride);
  }
  k.vertical(rows, stride, vBounds, vKernel, vertical.taps, firstRow, 0, height, out);
  return new Uint8Array(memory, out, height * stride).slice();
}
