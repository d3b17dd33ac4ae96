/**
 * IEEE 754 half precision ↔ float32, for fp16 graphs whose inputs and outputs are float16
 * (Node 20 has no Float16Array, so ONNX Runtime takes and gives the raw 16-bit patterns).
 */

const float32 = new Float32Array(1);
const bits32 = new Uint32Array(float32.buffer);

/** Round-to-nearest-even conversion of one float32 to half-precision bits. */
export function toFloat16Bits(value: number): number {
  float32[0] = value;
  const x = bits32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // underflow → ±0
    const full = mantissa | 0x800000; // subnormal half: shift the implicit bit in
    const shift = 14 - halfExponent;
    const rounded = roundShift(full, shift);
    return sign | rounded;
  }
  const rounded = roundShift(mantissa, 13);
  // A carry out of the mantissa correctly bumps the exponent (and may reach Inf).
  return sign | ((halfExponent << 10) + rounded);
}

function roundShift(value: number, shift: number): number {
  const half = 1 << (shift - 1);
  const truncated = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  if (remainder > half || (remainder === half && (truncated & 1) === 1)) return truncated + 1;
  return truncated;
}

export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
  return out;
}
