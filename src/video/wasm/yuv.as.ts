// 4:2:0 planar YUV (what video decoders produce) to interleaved RGB, in AssemblyScript: limited
// ("TV") range, the BT.601 or BT.709 matrix, chroma upsampled by nearest neighbour as ffmpeg's
// own unscaled converter does. Fixed-point coefficients scaled by 2^13. Eight pixels at a time in
// SIMD (i32 lanes, so the same integer maths and bytes as the scalar loop, which does the rest
// of each row): narrowing with saturation is exactly the clip to 0..255.
//
// Compiled by `npm run build:wasm` into yuv.wasm.ts (committed beside this file).

/** Eight i32 values (two vectors) → eight bytes, each clamped to 0..255, in the low half. */
@inline
function bytes(low: v128, high: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(low, high), i16x8.splat(0));
}

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
  const yScaleV = i32x4.splat(yScale);
  const offsetV = i32x4.splat(-16 * yScale + round);
  const centre = i32x4.splat(128);
  const rvV = i32x4.splat(rv);
  const guV = i32x4.splat(gu);
  const gvV = i32x4.splat(gv);
  const buV = i32x4.splat(bu);
  const simdWidth = width & ~7;
  let o = out;
  for (let row = 0; row < height; row++) {
    const yRow = y + <usize>(row * width);
    const cRow = <usize>((row >> 1) * chromaWidth);
    for (let column = 0; column < simdWidth; column += 8) {
      const luma16 = i16x8.extend_low_i8x16_u(v128.load64_zero(yRow + <usize>column));
      const lumaLo = i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_u(luma16), yScaleV), offsetV);
      const lumaHi = i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_u(luma16), yScaleV), offsetV);
      const c = cRow + <usize>(column >> 1);
      // four chroma samples, each for two neighbouring pixels
      const d4 = i32x4.sub(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(u + c))), centre);
      const e4 = i32x4.sub(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(v + c))), centre);
      const dLo = i8x16.shuffle(d4, d4, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7);
      const dHi = i8x16.shuffle(d4, d4, 8, 9, 10, 11, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15);
      const eLo = i8x16.shuffle(e4, e4, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7);
      const eHi = i8x16.shuffle(e4, e4, 8, 9, 10, 11, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15);
      const r = bytes(
        i32x4.shr_s(i32x4.add(lumaLo, i32x4.mul(rvV, eLo)), 13),
        i32x4.shr_s(i32x4.add(lumaHi, i32x4.mul(rvV, eHi)), 13),
      );
      const g = bytes(
        i32x4.shr_s(i32x4.add(i32x4.add(lumaLo, i32x4.mul(guV, dLo)), i32x4.mul(gvV, eLo)), 13),
        i32x4.shr_s(i32x4.add(i32x4.add(lumaHi, i32x4.mul(guV, dHi)), i32x4.mul(gvV, eHi)), 13),
      );
      const b = bytes(
        i32x4.shr_s(i32x4.add(lumaLo, i32x4.mul(buV, dLo)), 13),
        i32x4.shr_s(i32x4.add(lumaHi, i32x4.mul(buV, dHi)), 13),
      );
      // R0..R7 G0..G7, then interleaved with B0..B7 into 24 bytes
      const rg = i8x16.shuffle(r, g, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
      v128.store(o, i8x16.shuffle(rg, b, 0, 8, 16, 1, 9, 17, 2, 10, 18, 3, 11, 19, 4, 12, 20, 5));
      v128.store64_lane(o + 16, i8x16.shuffle(rg, b, 13, 21, 6, 14, 22, 7, 15, 23, 0, 0, 0, 0, 0, 0, 0, 0), 0);
      o += 24;
    }
    for (let column = simdWidth; column < width; column++) {
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
