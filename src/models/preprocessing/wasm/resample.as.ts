// The two passes of Pillow's 8-bit resampling (see ../resample.ts, which this computes to the
// bit) in AssemblyScript with WebAssembly SIMD. Integer maths throughout, so the output is
// bit-identical to the TypeScript version and to Pillow: a sum of integer products does not
// depend on how it is grouped, and every sum here stays inside i32 as Pillow's own does.
//
// Compiled by `npm run build:wasm` into resample.wasm.ts (committed beside this file). The host
// owns the memory layout: it writes the inputs at the offsets it passes, with at least 16
// readable bytes after every input and output region (the kernels read and write whole vectors),
// and reads the output back.

const PRECISION_BITS: i32 = 22;
const HALF: i32 = 1 << (PRECISION_BITS - 1);
/** Horizontal weights are split as w = high · 2^SPLIT_BITS + low, both fitting i16. */
const SPLIT_BITS: i32 = 11;

/**
 * Sixteen shifted sums (four vectors) packed into sixteen bytes, the saturating narrowings doing
 * clip8's clamp to 0..255 (acc ≥ 2^30 gives ≥ 256 → 255, acc ≤ 0 gives ≤ 0 → 0).
 */
@inline
function pack(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

/** Pillow's clip8 of sixteen accumulators (their rounding half already added): `acc >> 22`, clamped. */
@inline
function clip8(a: v128, b: v128, c: v128, d: v128): v128 {
  return pack(i32x4.shr_s(a, PRECISION_BITS), i32x4.shr_s(b, PRECISION_BITS), i32x4.shr_s(c, PRECISION_BITS), i32x4.shr_s(d, PRECISION_BITS));
}

/** A pixel's sums put back together (`high << 11 + low`), rounded and shifted: clip8 before its clamp. */
@inline
function finish(high: v128, low: v128): v128 {
  return i32x4.shr_s(i32x4.add(i32x4.add(i32x4.shl(high, SPLIT_BITS), low), i32x4.splat(HALF)), PRECISION_BITS);
}

/**
 * Horizontal pass over `rowCount` input rows from `firstRow`, output columns `left..left+width`.
 * `bounds` holds (first, count) per output column of the whole output. Two taps at a time: the
 * RGB of taps t and t+1 become the i16 lanes [R_t, R_t+1, G_t, G_t+1, B_t, B_t+1, 0, 0], and one
 * `dot` with [w_t, w_t+1] repeated gives both taps' products, summed, per channel. A 22-bit weight
 * does not fit i16, so `weights` holds, per window column and tap pair, two such vectors (the
 * weights' high and low parts, `pairs` pairs per column, zero past `count`); the two sums meet at
 * the end. Reading a pair past `count` reads a pixel with weight zero. Four rows go together, so
 * that each weight vector loaded serves four rows.
 *
 * Each output pixel is stored as 4 bytes, the 4th landing on the next pixel, which is written
 * after it — except across the rows of one block of four, where the first byte of a row is put
 * back once the rows before it are done.
 */
export function horizontal(src: usize, srcWidth: i32, firstRow: i32, rowCount: i32, bounds: usize, weights: usize, pairs: i32, left: i32, width: i32, out: usize): void {
  const zero = i32x4.splat(0);
  // Swizzle indices past 15 give zero bytes: the u8 → i16 widening comes with the shuffle.
  const spread = i8x16(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
  const columnBytes = <usize>(pairs * 32);
  const srcStride = <usize>(srcWidth * 3);
  const outStride = <usize>(width * 3);
  let y = 0;
  for (; y + 3 < rowCount; y += 4) {
    const rowStart = src + <usize>(firstRow + y) * srcStride;
    let o = out + <usize>y * outStride;
    let w = weights;
    let firstPixels = zero;
    for (let x = left; x < left + width; x++) {
      const first = load<i32>(bounds + (<usize>(x * 2) << 2));
      const count = load<i32>(bounds + (<usize>(x * 2 + 1) << 2));
      let h0 = zero, l0 = zero, h1 = zero, l1 = zero, h2 = zero, l2 = zero, h3 = zero, l3 = zero;
      let p = rowStart + <usize>(first * 3);
      let k = w;
      for (let i = 0; i < count; i += 2) {
        const high = v128.load(k);
        const low = v128.load(k, 16);
        const p0 = i8x16.swizzle(v128.load64_zero(p), spread);
        const p1 = i8x16.swizzle(v128.load64_zero(p + srcStride), spread);
        const p2 = i8x16.swizzle(v128.load64_zero(p + 2 * srcStride), spread);
        const p3 = i8x16.swizzle(v128.load64_zero(p + 3 * srcStride), spread);
        h0 = i32x4.add(h0, i32x4.dot_i16x8_s(p0, high));
        l0 = i32x4.add(l0, i32x4.dot_i16x8_s(p0, low));
        h1 = i32x4.add(h1, i32x4.dot_i16x8_s(p1, high));
        l1 = i32x4.add(l1, i32x4.dot_i16x8_s(p1, low));
        h2 = i32x4.add(h2, i32x4.dot_i16x8_s(p2, high));
        l2 = i32x4.add(l2, i32x4.dot_i16x8_s(p2, low));
        h3 = i32x4.add(h3, i32x4.dot_i16x8_s(p3, high));
        l3 = i32x4.add(l3, i32x4.dot_i16x8_s(p3, low));
        p += 6;
        k += 32;
      }
      const packed = pack(finish(h0, l0), finish(h1, l1), finish(h2, l2), finish(h3, l3));
      v128.store32_lane(o, packed, 0);
      v128.store32_lane(o + outStride, packed, 1);
      v128.store32_lane(o + 2 * outStride, packed, 2);
      v128.store32_lane(o + 3 * outStride, packed, 3);
      if (x == left) firstPixels = packed;
      o += 3;
      w += columnBytes;
    }
    store<u8>(out + <usize>(y + 1) * outStride, i8x16.extract_lane_u(firstPixels, 4));
    store<u8>(out + <usize>(y + 2) * outStride, i8x16.extract_lane_u(firstPixels, 8));
    store<u8>(out + <usize>(y + 3) * outStride, i8x16.extract_lane_u(firstPixels, 12));
  }
  for (; y < rowCount; y++) {
    const rowStart = src + <usize>(firstRow + y) * srcStride;
    let o = out + <usize>y * outStride;
    let w = weights;
    for (let x = left; x < left + width; x++) {
      const first = load<i32>(bounds + (<usize>(x * 2) << 2));
      const count = load<i32>(bounds + (<usize>(x * 2 + 1) << 2));
      let high = zero;
      let low = zero;
      let p = rowStart + <usize>(first * 3);
      let k = w;
      for (let i = 0; i < count; i += 2) {
        const pixels = i8x16.swizzle(v128.load64_zero(p), spread);
        high = i32x4.add(high, i32x4.dot_i16x8_s(pixels, v128.load(k)));
        low = i32x4.add(low, i32x4.dot_i16x8_s(pixels, v128.load(k, 16)));
        p += 6;
        k += 32;
      }
      const sums = finish(high, low);
      v128.store32_lane(o, pack(sums, sums, sums, sums), 0);
      o += 3;
      w += columnBytes;
    }
  }
}

/**
 * Vertical pass: `rows` holds input rows from `firstRow` on, `stride` bytes each; output rows
 * `top..top+height`, written `stride` bytes apart. Sixteen bytes of a row at a time, with their
 * sixteen accumulators kept in registers across the taps.
 */
export function vertical(rows: usize, stride: i32, bounds: usize, kernel: usize, taps: i32, firstRow: i32, top: i32, height: i32, out: usize): void {
  const half = i32x4.splat(HALF);
  for (let y = 0; y < height; y++) {
    const yy = top + y;
    const first = load<i32>(bounds + (<usize>(yy * 2) << 2));
    const count = load<i32>(bounds + (<usize>(yy * 2 + 1) << 2));
    const weights = kernel + (<usize>(yy * taps) << 2);
    const firstInput = rows + <usize>((first - firstRow) * stride);
    const o = out + <usize>(y * stride);
    for (let c = 0; c < stride; c += 16) {
      let a = half;
      let b = half;
      let d = half;
      let e = half;
      let at = firstInput + <usize>c;
      for (let i = 0; i < count; i++) {
        const w = i32x4.splat(load<i32>(weights + (<usize>i << 2)));
        const bytes = v128.load(at);
        const lowHalf = i16x8.extend_low_i8x16_u(bytes);
        const highHalf = i16x8.extend_high_i8x16_u(bytes);
        a = i32x4.add(a, i32x4.mul(i32x4.extend_low_i16x8_u(lowHalf), w));
        b = i32x4.add(b, i32x4.mul(i32x4.extend_high_i16x8_u(lowHalf), w));
        d = i32x4.add(d, i32x4.mul(i32x4.extend_low_i16x8_u(highHalf), w));
        e = i32x4.add(e, i32x4.mul(i32x4.extend_high_i16x8_u(highHalf), w));
        at += <usize>stride;
      }
      v128.store(o + <usize>c, clip8(a, b, d, e));
    }
  }
}
