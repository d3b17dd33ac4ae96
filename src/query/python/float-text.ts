/**
 * Python's float-to-text core (`PyOS_double_to_string` over David Gay's `dtoa`): the decimal
 * digits of a double — the shortest that round-trip (`repr`), `n` significant digits (`e`, `g`) or
 * `n` digits after the point (`f`) — laid out as CPython's `format_float_short` lays them out.
 *
 * Digits are computed exactly on the binary value with BigInt, so ties round half to even as
 * `dtoa` does: `format(2.5, '.0f')` is `'2'` and `format(0.125, '.2f')` is `'0.12'`, where
 * JavaScript's `toFixed` rounds ties up; precisions beyond `toFixed`'s 100 digits work too.
 */

/** `value` (finite, positive) as `mantissa · 2^exponent`, exactly. */
function decompose(value: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** `numerator / denominator` rounded to an integer, half to even. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n)) return quotient + 1n;
  return quotient;
}

/** `value` (finite, positive) as the fraction `numerator / denominator`, exactly. */
export function asFraction(value: number): { numerator: bigint; denominator: bigint } {
  const { mantissa, exponent } = decompose(value);
  return exponent >= 0 ? { numerator: mantissa << BigInt(exponent), denominator: 1n } : { numerator: mantissa, denominator: 1n << BigInt(-exponent) };
}

/**
 * `dtoa`'s answer: `digits` with trailing zeros removed and the decimal point `decpt` places from
 * their start (value = 0.digits × 10^decpt). Zero is `"0"` at 1; a value that rounds to nothing at
 * `n` places after the point is `""` at −n, as `dtoa` answers.
 */
interface Digits {
  digits: string;
  decpt: number;
}

function trimmed(text: string, decpt: number): Digits {
  return { digits: text.replace(/0+$/, ""), decpt };
}

/** Mode 0: the shortest digits that round-trip; JavaScript finds the same ones as `dtoa`. */
function shortestDigits(value: number): Digits {
  const [mantissa, exponent] = value.toExponential().split("e");
  return trimmed(mantissa.replace(".", ""), Number(exponent) + 1);
}

/** `floor(log10(value))`, exactly: the float estimate can be off by one near powers of ten. */
function decimalExponent(numerator: bigint, denominator: bigint, estimate: number): number {
  const atLeastPower = (k: number) => (k >= 0 ? numerator >= denominator * 10n ** BigInt(k) : numerator * 10n ** BigInt(-k) >= denominator);
  let k = estimate;
  while (!atLeastPower(k)) k--;
  while (atLeastPower(k + 1)) k++;
  return k;
}

/** Mode 2: `count` (≥ 1) significant digits, correctly rounded. */
function significantDigits(value: number, count: number): Digits {
  const { numerator, denominator } = asFraction(value);
  let k = decimalExponent(numerator, denominator, Math.floor(Math.log10(value)));
  const shift = count - 1 - k;
  let scaled = shift >= 0 ? divideHalfEven(numerator * 10n ** BigInt(shift), denominator) : divideHalfEven(numerator, denominator * 10n ** BigInt(-shift));
  if (scaled === 10n ** BigInt(count)) {
    scaled /= 10n;
    k++;
  }
  return trimmed(scaled.toString(), k + 1);
}

/** Mode 3: `places` digits after the decimal point, correctly rounded. */
function fixedDigits(value: number, places: number): Digits {
  const { numerator, denominator } = asFraction(value);
  const scaled = divideHalfEven(numerator * 10n ** BigInt(places), denominator);
  if (scaled === 0n) return { digits: "", decpt: -places };
  const text = scaled.toString();
  return trimmed(text, text.length - places);
}

export interface FloatTextOptions {
  /** Always write a sign (`+` for non-negative values). */
  sign?: boolean;
  /** Write `.0` after a whole number without exponent (`repr`, and format's type-less form). */
  addDotZero?: boolean;
  /** The `#` form: keep the decimal point and, for `g`, trailing zeros. */
  alternate?: boolean;
  /** The `z` option: `-0.0` (after rounding) is written `0.0`. */
  noNegativeZero?: boolean;
}

/** The four layouts `format_float_short` knows; upper case only changes `inf`, `nan`, `e`. */
export type FloatTextType = "e" | "E" | "f" | "F" | "g" | "G" | "r";

function digitsFor(magnitude: number, code: "e" | "f" | "g" | "r", precision: number): Digits {
  if (magnitude === 0) return { digits: "0", decpt: 1 };
  switch (code) {
    case "r":
      return shortestDigits(magnitude);
    case "f":
      return fixedDigits(magnitude, precision);
    default:
      return significantDigits(magnitude, precision);
  }
}

/**
 * `PyOS_double_to_string(value, type, precision, flags)`: `e` / `f` / `g` with `precision`, or
 * `r` (repr, precision unused).
 */
export function pythonDoubleToString(value: number, type: FloatTextType, precision: number, options: FloatTextOptions = {}): string {
  const upper = type === "E" || type === "F" || type === "G";
  const code = type.toLowerCase() as "e" | "f" | "g" | "r";
  let sign = value < 0 || Object.is(value, -0);
  const signText = () => (sign ? "-" : options.sign ? "+" : "");
  if (Number.isNaN(value)) return (options.sign ? "+" : "") + (upper ? "NAN" : "nan");
  if (!Number.isFinite(value)) return signText() + (upper ? "INF" : "inf");

  // `e` asks dtoa for one digit more than the precision; `g` reads precision 0 as 1.
  const digitCount = code === "e" ? precision + 1 : code === "g" ? Math.max(precision, 1) : precision;
  const rounded = digitsFor(Math.abs(value), code, digitCount);
  const digits = rounded.digits;
  let decpt = rounded.decpt;
  if (options.noNegativeZero && sign && (digits === "" || digits === "0")) sign = false;

  let useExponent = false;
  let vdigitsEnd = digits.length;
  switch (code) {
    case "e":
      useExponent = true;
      vdigitsEnd = digitCount;
      break;
    case "f":
      vdigitsEnd = decpt + precision;
      break;
    case "g":
      if (decpt <= -4 || decpt > (options.addDotZero ? digitCount - 1 : digitCount)) useExponent = true;
      if (options.alternate) vdigitsEnd = digitCount;
      break;
    case "r":
      if (decpt <= -4 || decpt > 16) useExponent = true;
      break;
  }
  let exponent = 0;
  if (useExponent) {
    exponent = decpt - 1;
    decpt = 1;
  }
  const vdigitsStart = decpt <= 0 ? decpt - 1 : 0;
  vdigitsEnd = Math.max(vdigitsEnd, !useExponent && options.addDotZero ? decpt + 1 : decpt);

  let text = signText();
  if (decpt <= 0) text += `${"0".repeat(decpt - vdigitsStart)}.${"0".repeat(-decpt)}`;
  else text += "0".repeat(-vdigitsStart);
  if (decpt > 0 && decpt <= digits.length) text += `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  else text += digits;
  if (digits.length < decpt) text += `${"0".repeat(decpt - digits.length)}.${"0".repeat(vdigitsEnd - decpt)}`;
  else text += "0".repeat(vdigitsEnd - digits.length);
  if (text.endsWith(".") && !options.alternate) text = text.slice(0, -1);
  if (useExponent) {
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    text += `${upper ? "E" : "e"}${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  return text;
}
