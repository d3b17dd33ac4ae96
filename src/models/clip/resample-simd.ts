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
    kernel: number,
    taps: number,
    left: number,
    width: number,
    out: number,
  ): void;
  vertical(
    rows: number,
    stride: number,
    bounds: number,
    kernel: number,
    taps: number,
    firstRow: number,
    top: number,
    height: number,
    sums: number,
    out: number,
  ): void;
}

let kernel: Kernel | null | undefined;

export interface PassCoefficients {
  readonly taps: number;
  readonly bounds: Int32Array;
  /** Fixed-point weights (`fixedPointWeights`). */
  readonly kernel: Int32Array;
}

/**
 * Both passes in WebAssembly: input rows `firstRow..firstRow+rowCount` of `src` → horizontal
 * pass to columns `left..left+width` → vertical pass to rows `top..top+height`. Null when SIMD
 * is unavailable.
 */
export function resizeWindowSimd(
  src: { width: number; data: Uint8Array },
  firstRow: number,
  rowCount: number,
  horizontal: PassCoefficients,
  vertical: PassCoefficients,
  left: number,
  width: number,
  top: number,
  height: number,
): Uint8Array | null {
  if (kernel === undefined) kernel = loadKernel<Kernel>(WASM_BASE64);
  const k = kernel;
  if (!k) return null;
  const stride = width * 3;
  const inputRows = src.data.subarray(firstRow * src.width * 3, (firstRow + rowCount) * src.width * 3);
  const arena = new Arena(k.memory);
  // Every region gets 4 spare bytes: the kernels read a pixel as 4 bytes.
  const input = arena.take(inputRows.length + 4);
  const hBounds = arena.take(horizontal.bounds.byteLength);
  const hKernel = arena.take(horizontal.kernel.byteLength);
  const rows = arena.take(rowCount * stride + 4);
  const vBounds = arena.take(vertical.bounds.byteLength);
  const vKernel = arena.take(vertical.kernel.byteLength);
  const sums = arena.take(((stride + 3) & ~3) * 4);
  const out = arena.take(height * stride);
  const bytes = new Uint8Array(k.memory.buffer); // after all growth
  bytes.set(inputRows, input);
  new Int32Array(k.memory.buffer, hBounds, horizontal.bounds.length).set(horizontal.bounds);
  new Int32Array(k.memory.buffer, hKernel, horizontal.kernel.length).set(horizontal.kernel);
  new Int32Array(k.memory.buffer, vBounds, vertical.bounds.length).set(vertical.bounds);
  new Int32Array(k.memory.buffer, vKernel, vertical.kernel.length).set(vertical.kernel);
  k.horizontal(input, src.width, 0, rowCount, hBounds, hKernel, horizontal.taps, left, width, rows);
  k.vertical(rows, stride, vBounds, vKernel, vertical.taps, firstRow, top, height, sums, out);
  return new Uint8Array(k.memory.buffer, out, height * stride).slice();
}
