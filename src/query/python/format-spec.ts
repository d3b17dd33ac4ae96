/**
 * Python's `format(value, spec)` for the values a workflow holds
 * (docs/reference/workflows.md#python-semantics): the format-spec mini-language
 * `[[fill]align][sign][z][#][0][width][,|_][.precision][type]` of `str`, `int` (and `bool`) and
 * `float`, with CPython's parsing, layout and error messages (`Objects/stringlib/unicode_format.h`,
 * `Python/formatter_unicode.c`, 3.11). `None`, lists, dicts and other objects take only the
 * empty spec (their `str()`), as `object.__format__` does.
 *
 * JSON cannot tell `1.0` from `1`, so a whole number is formatted as an int unless only a float
 * accepts the spec (`{x:.2}`, `{x:z}`); then as the float it must have been.
 */
import { pyOverflowError, pyTypeError, pyValueError } from "./errors.js";
import { pythonDoubleToString, type FloatTextType } from "./float-text.js";
import { pythonStr } from "./str.js";
import { codePointLength, isPythonInt, pythonTypeName } from "./types.js";

type Align = "<" | ">" | "^" | "=";

/** How digits are grouped: none, or by `size` with `separator` (`,` by 3, `_` by 3, `_` by 4 for b/o/x). */
interface Grouping {
  size: number;
  separator: string;
}

interface FormatSpec {
  fill: string;
  align: Align;
  sign: "" | "+" | "-" | " ";
  noNegativeZero: boolean;
  alternate: boolean;
  /** −1 when not given. */
  width: number;
  separator: "" | "," | "_";
  /** −1 when not given. */
  precision: number;
  type: string;
}

const ALIGNS = new Set(["<", ">", "^", "="]);
const SIGNS = new Set(["+", "-", " "]);
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * The value of one decimal digit, any script: Unicode lays every decimal digit out in runs of ten
 * in order from zero, so a digit's value is its distance from the run's start.
 */
function digitValue(char: string): number {
  const code = char.codePointAt(0) as number;
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  let distance = 0;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(code - distance - 1))) distance++;
  return distance % 10;
}

/** `int(text)` of a run of decimal digits (any script), as a float: large runs only need to compare. */
export function decimalRunValue(run: string): number {
  let value = 0;
  for (const char of run) value = value * 10 + digitValue(char);
  return value;
}

/** CPython's `get_integer`: the digits at `chars[at…]`; how many were read and their value. */
function readInteger(chars: readonly string[], at: number): { length: number; value: number } {
  let length = 0;
  let value = 0;
  while (at + length < chars.length && DECIMAL_DIGIT.test(chars[at + length])) {
    value = value * 10 + digitValue(chars[at + length]);
    if (value > Number.MAX_SAFE_INTEGER) throw pyValueError("Too many decimal digits in format string");
    length++;
  }
  return { length, value };
}

function separatorMisuse(separator: string, type: string): Error {
  const code = type.codePointAt(0) as number;
  const shown = code > 32 && code < 128 ? type : `\\x${code.toString(16)}`;
  return pyValueError(`Cannot specify '${separator}' with '${shown}'.`);
}

/** CPython's `parse_internal_render_format_spec`. */
function parseSpec(spec: string, typeName: string, defaultType: string, defaultAlign: Align): FormatSpec & { grouping: Grouping | null } {
  const chars = Array.from(spec);
  const parsed: FormatSpec = {
    fill: " ",
    align: defaultAlign,
    sign: "",
    noNegativeZero: false,
    alternate: false,
    width: -1,
    separator: "",
    precision: -1,
    type: defaultType,
  };
  let at = 0;
  let fillGiven = false;
  let alignGiven = false;
  if (chars.length >= 2 && ALIGNS.has(chars[1])) {
    parsed.fill = chars[0];
    parsed.align = chars[1] as Align;
    fillGiven = alignGiven = true;
    at = 2;
  } else if (chars.length >= 1 && ALIGNS.has(chars[0])) {
    parsed.align = chars[0] as Align;
    alignGiven = true;
    at = 1;
  }
  if (SIGNS.has(chars[at])) parsed.sign = chars[at++] as FormatSpec["sign"];
  if (chars[at] === "z") {
    parsed.noNegativeZero = true;
    at++;
  }
  if (chars[at] === "#") {
    parsed.alternate = true;
    at++;
  }
  if (!fillGiven && chars[at] === "0") {
    parsed.fill = "0";
    if (!alignGiven && defaultAlign === ">") parsed.align = "=";
    at++;
  }
  const width = readInteger(chars, at);
  if (width.length > 0) parsed.width = width.value;
  at += width.length;
  if (chars[at] === ",") {
    parsed.separator = ",";
    at++;
  }
  if (chars[at] === "_") {
    if (parsed.separator !== "") throw pyValueError("Cannot specify both ',' and '_'.");
    parsed.separator = "_";
    at++;
  }
  if (chars[at] === "," && parsed.separator === "_") throw pyValueError("Cannot specify both ',' and '_'.");
  if (chars[at] === ".") {
    const precision = readInteger(chars, at + 1);
    if (precision.length === 0) throw pyValueError("Format specifier missing precision");
    parsed.precision = precision.value;
    at += 1 + precision.length;
  }
  if (chars.length - at > 1) throw pyValueError(`Invalid format specifier '${spec}' for object of type '${typeName}'`);
  if (chars.length - at === 1) parsed.type = chars[at];
  return { ...parsed, grouping: grouping(parsed) };
}

/** The grouping a spec asks for. `n` groups by the locale, and Python leaves LC_NUMERIC at "C": none. */
function grouping({ separator, type }: FormatSpec): Grouping | null {
  if (separator === "") return null;
  if ("defgEGF%".includes(type) || type === "") return { size: 3, separator };
  if (separator === "_" && "boxX".includes(type)) return { size: 4, separator };
  throw separatorMisuse(separator, type);
}

function unknownType(type: string, typeName: string): Error {
  const code = type.codePointAt(0) as number;
  const shown = code > 32 && code < 128 ? type : `\\x${code.toString(16)}`;
  return pyValueError(`Unknown format code '${shown}' for object of type '${typeName}'`);
}

/** Left, right or centred padding of `text` (CPython's `calc_padding`); `=` pads on the right here. */
function pad(text: string, width: number, align: Align, fill: string): string {
  const padding = width - codePointLength(text);
  if (padding <= 0) return text;
  const left = align === ">" ? padding : align === "^" ? Math.floor(padding / 2) : 0;
  return fill.repeat(left) + text + fill.repeat(padding - left);
}

/**
 * CPython's `_PyUnicode_InsertThousandsGrouping`: groups `digits` from the right, padding with
 * zeros (grouped too) up to `minWidth` characters.
 */
function groupDigits(digits: string, minWidth: number, group: Grouping | null): string {
  let width = Math.max(0, minWidth);
  let remaining = digits.length;
  const pieces: string[] = [];
  const take = (length: number) => {
    const chars = Math.max(0, Math.min(remaining, length));
    pieces.push("0".repeat(Math.max(0, length - remaining)) + digits.slice(remaining - chars, remaining));
    remaining -= chars;
  };
  if (group) {
    for (;;) {
      const length = Math.min(group.size, Math.max(remaining, width, 1));
      take(length);
      width -= length;
      if (remaining <= 0 && width <= 0) return pieces.reverse().join(group.separator);
      width -= group.separator.length;
    }
  }
  take(Math.max(remaining, width, 1));
  return pieces.join("");
}

/** A number split as CPython lays it out: sign, prefix (`0x`), integer digits, decimal point, the rest. */
interface NumberParts {
  negative: boolean;
  prefix: string;
  digits: string;
  decimalPoint: boolean;
  remainder: string;
}

/** CPython's `calc_number_widths` + `fill_number`. */
function layOutNumber(parts: NumberParts, spec: FormatSpec & { grouping: Grouping | null }, upper = false): string {
  const sign = spec.sign === "+" ? (parts.negative ? "-" : "+") : spec.sign === " " ? (parts.negative ? "-" : " ") : parts.negative ? "-" : "";
  const prefix = upper ? parts.prefix.toUpperCase() : parts.prefix;
  const nonDigits = sign.length + prefix.length + (parts.decimalPoint ? 1 : 0) + codePointLength(parts.remainder);
  const minWidth = spec.fill === "0" && spec.align === "=" ? spec.width - nonDigits : 0;
  let digits = parts.digits.length === 0 ? "" : groupDigits(parts.digits, minWidth, spec.grouping);
  if (upper) digits = digits.toUpperCase();
  const body = digits + (parts.decimalPoint ? "." : "") + parts.remainder;
  const padding = spec.width - (nonDigits + digits.length);
  if (padding <= 0) return sign + prefix + body;
  const fill = (count: number) => spec.fill.repeat(count);
  switch (spec.align) {
    case "<":
      return sign + prefix + body + fill(padding);
    case "^":
      return fill(Math.floor(padding / 2)) + sign + prefix + body + fill(padding - Math.floor(padding / 2));
    case "=":
      return sign + prefix + fill(padding) + body;
    case ">":
      return fill(padding) + sign + prefix + body;
  }
}

function formatString(text: string, formatSpec: string): string {
  if (formatSpec === "") return text;
  const spec = parseSpec(formatSpec, "str", "s", "<");
  if (spec.type !== "s") throw unknownType(spec.type, "str");
  if (spec.sign === " ") throw pyValueError("Space not allowed in string format specifier");
  if (spec.sign !== "") throw pyValueError("Sign not allowed in string format specifier");
  if (spec.noNegativeZero) throw pyValueError("Negative zero coercion (z) not allowed in string format specifier");
  if (spec.alternate) throw pyValueError("Alternate form (#) not allowed in string format specifier");
  if (spec.align === "=") throw pyValueError("'=' alignment not allowed in string format specifier");
  const truncated = spec.precision >= 0 ? Array.from(text).slice(0, spec.precision).join("") : text;
  return pad(truncated, spec.width, spec.align, spec.fill);
}

/** CPython's `format_float_internal`. */
function formatFloatWithSpec(value: number, spec: FormatSpec & { grouping: Grouping | null }): string {
  let type = spec.type;
  let precision = spec.precision;
  let addDotZero = false;
  let percent = false;
  let number = value;
  if (type === "") {
    // No type: repr without a precision, else like `g` with at least one digit after the point.
    addDotZero = true;
    type = precision < 0 ? "r" : "g";
    if (precision < 0) precision = 0;
  }
  if (type === "n") type = "g";
  if (type === "%") {
    type = "f";
    number *= 100;
    percent = true;
  }
  if (precision < 0) precision = 6;
  const text = pythonDoubleToString(number, type as FloatTextType, precision, {
    addDotZero,
    alternate: spec.alternate,
    noNegativeZero: spec.noNegativeZero,
  });
  const negative = text.startsWith("-");
  const unsigned = (negative ? text.slice(1) : text) + (percent ? "%" : "");
  const integerDigits = /^[0-9]*/.exec(unsigned)?.[0] ?? "";
  const decimalPoint = unsigned[integerDigits.length] === ".";
  return layOutNumber(
    { negative, prefix: "", digits: integerDigits, decimalPoint, remainder: unsigned.slice(integerDigits.length + (decimalPoint ? 1 : 0)) },
    spec,
  );
}

const FLOAT_TYPES = new Set(["", "e", "E", "f", "F", "g", "G", "n", "%"]);

function formatFloat(value: number, formatSpec: string): string {
  if (formatSpec === "") return pythonStr(value, true);
  const spec = parseSpec(formatSpec, "float", "", ">");
  if (!FLOAT_TYPES.has(spec.type)) throw unknownType(spec.type, "float");
  return formatFloatWithSpec(value, spec);
}

const INT_AS_FLOAT_TYPES = new Set(["e", "E", "f", "F", "g", "G", "%"]);

const BASES: Readonly<Record<string, { radix: number; prefix: string }>> = {
  b: { radix: 2, prefix: "0b" },
  o: { radix: 8, prefix: "0o" },
  x: { radix: 16, prefix: "0x" },
  X: { radix: 16, prefix: "0x" },
  d: { radix: 10, prefix: "" },
  n: { radix: 10, prefix: "" },
};

/** CPython's `format_long_internal`, for `int` and `bool` (`typeName`). */
function formatInteger(value: bigint, typeName: string, formatSpec: string): string {
  const spec = parseSpec(formatSpec, typeName, "d", ">");
  if (INT_AS_FLOAT_TYPES.has(spec.type)) return formatFloatWithSpec(Number(value), spec);
  if (spec.type !== "c" && !Object.hasOwn(BASES, spec.type)) throw unknownType(spec.type, typeName);
  if (spec.precision !== -1) throw pyValueError("Precision not allowed in integer format specifier");
  if (spec.noNegativeZero) throw pyValueError("Negative zero coercion (z) not allowed in integer format specifier");
  if (spec.type === "c") {
    if (spec.sign !== "") throw pyValueError("Sign not allowed with integer format specifier 'c'");
    if (spec.alternate) throw pyValueError("Alternate form (#) not allowed with integer format specifier 'c'");
    if (value < 0n || value > 0x10ffffn) throw pyOverflowError("%c arg not in range(0x110000)");
    return layOutNumber({ negative: false, prefix: "", digits: "", decimalPoint: false, remainder: String.fromCodePoint(Number(value)) }, spec);
  }
  const { radix, prefix } = BASES[spec.type];
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString(radix);
  return layOutNumber({ negative, prefix: spec.alternate ? prefix : "", digits, decimalPoint: false, remainder: "" }, spec, spec.type === "X");
}

/** Python's `format(value, spec)`; `ValueError` / `TypeError` / `OverflowError` as Python raises them. */
export function pythonFormat(value: unknown, formatSpec: string): string {
  switch (typeof value) {
    case "string":
      return formatString(value, formatSpec);
    case "boolean":
      return formatSpec === "" ? pythonStr(value) : formatInteger(value ? 1n : 0n, "bool", formatSpec);
    case "bigint":
      return formatSpec === "" ? value.toString() : formatInteger(value, "int", formatSpec);
    case "number":
      if (!isPythonInt(value)) return formatFloat(value, formatSpec);
      if (formatSpec === "") return String(value);
      try {
        return formatInteger(BigInt(value), "int", formatSpec);
      } catch (intError) {
        // A whole number from JSON may have been a float (`1.0`): accept what a float accepts.
        try {
          return formatFloat(value, formatSpec);
        } catch {
          throw intError;
        }
      }
  }
  if (formatSpec === "") return pythonStr(value);
  throw pyTypeError(`unsupported format string passed to ${pythonTypeName(value)}.__format__`);
}
