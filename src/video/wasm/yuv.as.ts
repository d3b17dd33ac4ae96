// 4:2:0 planar YUV (what video decoders produce) to interleaved RGB, in AssemblyScript: limited
// ("TV") range, the BT.601 or BT.709 matrix, chroma upsampled by nearest neighbour as ffmpeg's
// own unscaled converter does. Fixed-point coefficients scaled by 2^13.
//
// Compiled by `npm run build:wasm` into yuv.wasm.ts (committed beside this file).

@inline
function clip(value: i32): u8 {
  return <u8>(value < 0 ? 0 : value > 255 ? 255 : value);
}

/**
 * `y`: width×height luma; `u`, `v`: ceil(width/2)×ceil(height/2) chroma; `out`: width×height×3.
 * `matrix` 709 selects BT.709, anything else BT.601.
 */
export function yuv420ToRgb(y: usize, u: usize, v: usize, width: i32, height: i32, matrix: i32, out: usize): void {
  // 255/219 · 2^13 for luma; chroma terms from the matrix, · 255/224 · 2^13.
  const yScale: i32 = 9539;
  const rv: i32 = matrix == 709 ? 14686 : 13075;
  const gu: i32 = matrix == 709 ? -1747 : -3209;
  const gv: i32 = matrix == 709 ? -4365 : -6660;
  const bu: i32 = matrix == 709 ? 17305 : 16525;
  const chromaWidth = (width + 1) >> 1;
  const round: i32 = 1 << 12;
  let o = out;
  for (let row = 0; row < height; row++) {
    const yRow = y + <usize>(row * width);
    const cRow = <usize>((row >> 1) * chromaWidth);
    for (let column = 0; column < width; column++) {
      const c = cRow + <usize>(column >> 1);
      const luma = (<i32>load<u8>(yRow + <usize>column) - 16) * yScale + round;
      const d = <i32>load<u8>(u + c) - 128;
      const e = <i32>load<u8>(v + c) - 128;
      store<u8>(o, clip((luma + rv * e) >> 13));
      store<u8>(o + 1, clip((luma + gu * d + gv * e) >> 13));
      store<u8>(o + 2, clip((luma + bu * d) >> 13));
      o += 3;
    }
  }
}
