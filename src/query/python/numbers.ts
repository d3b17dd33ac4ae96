/**
 * Python's numeric builtins: `float(x)` (with its string grammar), `int(float)` truncation and
 * `round(x, n)` — correctly rounded, half to even, on the exact binary value, so that
 * `round(2.675, 2) == 2.67` and `round(0.125, 2) == 0.12`.
 */
import { pyOverflowError, pyTypeError, pyValueError, pyZeroDivisionError } from "./errors.js";
import { asFraction, divideHalfEven } from "./float-text.js";
import { pythonStringRepr } from "./str.js";
import { isPythonInt, pythonTypeName } from "./types.js";

const DECIMAL = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** `float(value)` for str, int, float and bool. */
export function pythonFloat(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const text = value.trim();
    if (DECIMAL.test(text)) return Number(text.replaceAll("_", ""));
    if (SPECIAL.test(text)) {
      const negative = text.startsWith("-");
      if (/nan$/i.test(text)) return NaN;
      return negative ? -Infinity : Infinity;
    }
    throw pyValueError(`could not convert string to float: ${pythonStringRepr(value)}`);
  }
  throw pyTypeError(`float() argument must be a string or a real number, not '${pythonTypeName(value)}'`);
}

/** `int(x)` of a float: truncation toward zero. */
export function pythonIntOfFloat(value: number): number {
  if (Number.isNaN(value)) throw pyValueError("cannot convert float NaN to integer");
  if (!Number.isFinite(value)) throw pyOverflowError("cannot convert float infinity to integer");
  return Math.trunc(value) + 0; // `+ 0` turns −0 into the 0 an int is
}

/** Rounds `|value|·10^digits` to an integer, half to even, in exact rational arithmetic. */
function exactRound(value: number, digits: number): number {
  let { numerator, denominator } = asFraction(Math.abs(value));
  if (digits >= 0) numerator *= 10n ** BigInt(digits);
  else denominator *= 10n ** BigInt(-digits);
  const quotient = divideHalfEven(numerator, denominator);
  // Parsing the decimal text is correctly rounded, as Python's strtod of its dtoa digits is.
  const magnitude = Number(`${quotient}e${-digits}`);
  return value < 0 ? -magnitude : magnitude;
}

/** Beyond this many digits Python returns the float unchanged (or a signed zero). */
const NDIGITS_LIMIT = 340;

/** `round(value, digits)` for an int, float or bool. */
export function pythonRound(value: unknown, digits: number): number {
  if (typeof value === "boolean") return Number(value);
  if (typeof value !== "number") throw pyTypeError(`type ${pythonTypeName(value)} doesn't define __round__ method`);
  if (!Number.isFinite(value) || value === 0) return value;
  if (digits > NDIGITS_LIMIT) return value;
  if (digits < -NDIGITS_LIMIT) return value < 0 ? -0 : 0;
  const scaled = Math.abs(value) * 10 ** digits;
  // toFixed rounds the exact value correctly but sends ties away from zero. Far from a tie
  // (judged with margin on the inexact scaled value) it therefore agrees with Python.
  if (digits >= 0 && digits <= 20 && scaled < 1e9) {
    const fraction = scaled - Math.floor(scaled);
    if (Math.abs(fraction - 0.5) > 1e-6) return Number(value.toFixed(digits));
  }
  const result = exactRound(value, digits);
  if (!Number.isFinite(result)) throw pyOverflowError("rounded value too large to represent");
  return result;
}

function isNumeric(value: unknown): value is number | boolean {
  return typeof value === "number" || typeof value === "boolean";
}

function unsupportedOperands(symbol: string, a: unknown, b: unknown): Error {
  return pyTypeError(`unsupported operand type(s) for ${symbol}: '${pythonTypeName(a)}' and '${pythonTypeName(b)}'`);
}

/** `value * other` for a number `other`: numbers multiply, a str or list repeats. */
export function pythonMultiply(value: unknown, other: number): unknown {
  if (isNumeric(value)) return Number(value) * other;
  if (typeof value === "string" || Array.isArray(value)) {
    if (!isPythonInt(other)) throw pyTypeError(`can't multiply sequence by non-int of type '${pythonTypeName(other)}'`);
    const times = Math.max(0, other);
    return typeof value === "string" ? value.repeat(times) : Array.from({ length: times }, (): unknown[] => value).flat();
  }
  throw unsupportedOperands("*", value, other);
}

/** `value / other`: true division, always a float. */
export function pythonTrueDivide(value: unknown, other: number): number {
  if (!isNumeric(value)) throw unsupportedOperands("/", value, other);
  if (other === 0) throw pyZeroDivisionError("division by zero");
  return Number(value) / other;
}

/** `sum(items)`: numbers and bools only, from an int 0. */
export function pythonSum(items: readonly unknown[]): number {
  let total = 0;
  for (const item of items) {
    if (!isNumeric(item)) throw unsupportedOperands("+", total, item);
    total += Number(item);
  }
  return total;
}
