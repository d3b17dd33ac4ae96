// The two passes of Pillow's 8-bit resampling (see ../resample.ts, which this mirrors line for
// line) in AssemblyScript with WebAssembly SIMD: one i32x4 lane per colour channel, so a tap of
// an RGB pixel is one load, one multiply and one add. Integer maths throughout, so the output is
// bit-identical to the TypeScript version and to Pillow.
//
// Compiled by `npm run build:wasm` into resample.wasm (committed beside this file). The host owns
// the memory layout: it writes the inputs at the offsets it passes and reads the output back.

const PRECISION_BITS: i32 = 22;
const HALF: i32 = 1 << (PRECISION_BITS - 1);

/** Pillow's clip8 on four lanes: (acc >> 22) clamped to 0..255 equals its three-way test. */
@inline
function clip8(acc: v128): v128 {
  return i32x4.min_s(i32x4.max_s(i32x4.shr_s(acc, PRECISION_BITS), i32x4.splat(0)), i32x4.splat(255));
}

/** An RGB pixel (and the next byte, ignored) as four i32 lanes. */
@inline
function loadPixel(at: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(at)));
}

/**
 * Horizontal pass over `rowCount` input rows from `firstRow`, output columns `left..left+width`.
 * `bounds` holds (first, count) per output column, `kernel` `taps` i32 weights per column.
 * The input must have one readable byte after its end (the fourth lane of the last pixel).
 */
export function horizontal(src: usize, srcWidth: i32, firstRow: i32, rowCount: i32, bounds: usize, kernel: usize, taps: i32, left: i32, width: i32, out: usize): void {
  let o = out;
  for (let y = 0; y < rowCount; y++) {
    const rowStart = src + <usize>((firstRow + y) * srcWidth * 3);
    for (let x = left; x < left + width; x++) {
      const first = load<i32>(bounds + (<usize>(x * 2) << 2));
      const count = load<i32>(bounds + (<usize>(x * 2 + 1) << 2));
      const weights = kernel + (<usize>(x * taps) << 2);
      let acc = i32x4.splat(HALF);
      let p = rowStart + <usize>(first * 3);
      for (let i = 0; i < count; i++) {
        acc = i32x4.add(acc, i32x4.mul(loadPixel(p), i32x4.splat(load<i32>(weights + (<usize>i << 2)))));
        p += 3;
      }
      const clipped = clip8(acc);
      store<u8>(o, <u8>i32x4.extract_lane(clipped, 0));
      store<u8>(o + 1, <u8>i32x4.extract_lane(clipped, 1));
      store<u8>(o + 2, <u8>i32x4.extract_lane(clipped, 2));
      o += 3;
    }
  }
}

/**
 * Vertical pass: `rows` holds input rows from `firstRow` on, `stride` bytes each; output rows
 * `top..top+height`. `sums` is scratch space for `stride` i32 (rounded up to a multiple of 4).
 */
export function vertical(rows: usize, stride: i32, bounds: usize, kernel: usize, taps: i32, firstRow: i32, top: i32, height: i32, sums: usize, out: usize): void {
  const lanes = (stride + 3) & ~3;
  for (let y = 0; y < height; y++) {
    const yy = top + y;
    const first = load<i32>(bounds + (<usize>(yy * 2) << 2));
    const count = load<i32>(bounds + (<usize>(yy * 2 + 1) << 2));
    const weights = kernel + (<usize>(yy * taps) << 2);
    for (let c = 0; c < lanes; c += 4) v128.store(sums + (<usize>c << 2), i32x4.splat(HALF));
    for (let i = 0; i < count; i++) {
      const w = i32x4.splat(load<i32>(weights + (<usize>i << 2)));
      const base = rows + <usize>((first - firstRow + i) * stride);
      for (let c = 0; c < lanes; c += 4) {
        const at = sums + (<usize>c << 2);
        const bytes = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(base + <usize>c)));
        v128.store(at, i32x4.add(v128.load(at), i32x4.mul(bytes, w)));
      }
    }
    const o = out + <usize>(y * stride);
    for (let c = 0; c < stride; c++) {
      const value = load<i32>(sums + (<usize>c << 2)) >> PRECISION_BITS;
      store<u8>(o + <usize>c, <u8>(value < 0 ? 0 : value > 255 ? 255 : value));
    }
  }
}
