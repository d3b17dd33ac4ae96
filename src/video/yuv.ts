/**
 * 4:2:0 planar YUV → interleaved RGB, for video frames that arrive from the decoder as YUV (half
 * the bytes of RGB through the pipe, no conversion in ffmpeg) and are converted only when a step
 * reads their pixels. Limited ("TV") range; BT.601, or BT.709 when the stream says so; chroma by
 * nearest neighbour like ffmpeg's unscaled converter. The work runs in WebAssembly
 * (`wasm/yuv.as.ts`); `yuv420ToRgbScalar` is the same maths in TypeScript.
 */
import { Arena, loadKernel, type WasmMemory } from "../wasm/kernel.js";
import { WASM_BASE64 } from "./wasm/yuv.wasm.js";

export type ColourMatrix = 601 | 709;

interface Kernel {
  memory: WasmMemory;
  yuv420ToRgb(y: number, u: number, v: number, width: number, height: number, matrix: number, out: number): void;
}

let kernel: Kernel | null | undefined;

export function chromaSize(width: number, height: number): { width: number; height: number } {
  return { width: (width + 1) >> 1, height: (height + 1) >> 1 };
}

/** Bytes of one 4:2:0 planar frame: Y, then U, then V. */
export function yuv420FrameBytes(width: number, height: number): number {
  const chroma = chromaSize(width, height);
  return width * height + 2 * chroma.width * chroma.height;
}

const COEFFICIENTS: Record<ColourMatrix, { rv: number; gu: number; gv: number; bu: number }> = {
  601: { rv: 13075, gu: -3209, gv: -6660, bu: 16525 },
  709: { rv: 14686, gu: -1747, gv: -4365, bu: 17305 },
};

const clip = (value: number): number => (value < 0 ? 0 : value > 255 ? 255 : value);

/** The kernel's maths in TypeScript: the fallback, and the reference its tests compare with. */
export function yuv420ToRgbScalar(planes: Uint8Array, width: number, height: number, matrix: ColourMatrix): Uint8Array {
  const { rv, gu, gv, bu } = COEFFICIENTS[matrix];
  const chroma = chromaSize(width, height);
  const uStart = width * height;
  const vStart = uStart + chroma.width * chroma.height;
  const out = new Uint8Array(width * height * 3);
  let o = 0;
  for (let row = 0; row < height; row++) {
    const cRow = (row >> 1) * chroma.width;
    for (let column = 0; column < width; column++) {
      const c = cRow + (column >> 1);
      const luma = (planes[row * width + column] - 16) * 9539 + 4096;
      const d = planes[uStart + c] - 128;
      const e = planes[vStart + c] - 128;
      out[o++] = clip((luma + rv * e) >> 13);
      out[o++] = clip((luma + gu * d + gv * e) >> 13);
      out[o++] = clip((luma + bu * d) >> 13);
    }
  }
  return out;
}

/** `planes`: the frame's Y, U and V bytes, in one array or in consecutive pieces (as they came from a pipe). */
export function yuv420ToRgb(planes: Uint8Array | readonly Uint8Array[], width: number, height: number, matrix: ColourMatrix): Uint8Array {
  const parts = planes instanceof Uint8Array ? [planes] : planes;
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  if (length !== yuv420FrameBytes(width, height)) {
    throw new RangeError(`a ${width}x${height} 4:2:0 frame has ${yuv420FrameBytes(width, height)} bytes, got ${length}`);
  }
  if (kernel === undefined) kernel = loadKernel<Kernel>(WASM_BASE64);
  if (!kernel) return yuv420ToRgbScalar(parts.length === 1 ? parts[0] : Buffer.concat(parts), width, height, matrix);
  const arena = new Arena(kernel.memory);
  const input = arena.take(length);
  const out = arena.take(width * height * 3);
  const memory = new Uint8Array(kernel.memory.buffer);
  let at = input;
  for (const part of parts) {
    memory.set(part, at);
    at += part.length;
  }
  const chroma = chromaSize(width, height);
  const u = input + width * height;
  kernel.yuv420ToRgb(input, u, u + chroma.width * chroma.height, width, height, matrix, out);
  return new Uint8Array(kernel.memory.buffer, out, width * height * 3).slice();
}
