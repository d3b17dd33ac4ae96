/**
 * Python's `str()` and `repr()` of workflow values, byte for byte where users can see it:
 * `switch_case` keys, `ToString`, `SequenceJoin` and string templates all print values the way
 * Python does (`True`, `None`, `1.0`, `1e-05`, `['a', 1]`, `{'k': None}`).
 */
import { WorkflowImage } from "../../images/index.js";
import { pythonDatetimeRepr, pythonIsoformat as isoformat } from "../../images/timestamp.js";
import { pyValueError } from "./errors.js";
import { pythonDoubleToString } from "./float-text.js";
import { isDict, isPythonInt } from "./types.js";

/** `repr(float)`: the shortest digits that round-trip, with an exponent outside 1e-4 ≤ |x| < 1e16. */
export function pythonFloatRepr(value: number): string {
  return pythonDoubleToString(value, "r", 0, { addDotZero: true });
}

/** `str()` of a number: an int prints as digits, a float as `repr(float)`. */
export function pythonNumberStr(value: number, isFloat = false): string {
  return !isFloat && isPythonInt(value) ? String(value) : pythonFloatRepr(value);
}

// Python's str.isprintable() is false for these categories (the space excepted).
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}

function quoteFor(text: string): string {
  return text.includes("'") && !text.includes('"') ? '"' : "'";
}

/** `repr(str)`: single quotes unless only the double quote avoids escaping. */
export function pythonStringRepr(text: string): string {
  const quote = quoteFor(text);
  if (PLAIN_ASCII.test(text)) {
    return quote + text.replaceAll("\\", "\\\\").replaceAll(quote, `\\${quote}`) + quote;
  }
  let body = "";
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === "\\" || char === quote) body += `\\${char}`;
    else if (char === "\n") body += "\\n";
    else if (char === "\r") body += "\\r";
    else if (char === "\t") body += "\\t";
    else if (char !== " " && NOT_PRINTABLE.test(char)) {
      body += code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    } else body += char;
  }
  return quote + body + quote;
}

/** `repr(bytes)`, e.g. `b'\xff\xd8'`. */
export function pythonBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'";
  let body = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (char === "\\" || char === quote) body += `\\${char}`;
    else if (char === "\n") body += "\\n";
    else if (char === "\r") body += "\\r";
    else if (char === "\t") body += "\\t";
    else if (byte < 0x20 || byte >= 0x7f) body += `\\x${hex(byte, 2)}`;
    else body += char;
  }
  return `b${quote}${body}${quote}`;
}

/** `datetime.isoformat()`: frame timestamps naive or aware, to the microsecond (src/images/timestamp.ts). */
export function pythonIsoformat(date: Date, separator = "T"): string {
  if (Number.isNaN(date.getTime())) throw pyValueError("invalid datetime");
  return isoformat(date, separator);
}

function imageRepr(image: WorkflowImage): string {
  return `<WorkflowImageData parent_id=${pythonStringRepr(image.parentId)} width=${image.width} height=${image.height}>`;
}

/** `repr(value)`: what containers print for their items. */
export function pythonRepr(value: unknown): string {
  if (typeof value === "string") return pythonStringRepr(value);
  if (value instanceof Date) return pythonDatetimeRepr(value);
  return pythonStr(value);
}

/** `ascii(value)`: `repr` with every non-ASCII character escaped. */
export function pythonAscii(value: unknown): string {
  return pythonRepr(value).replace(/[^\p{ASCII}]/gu, (char) => {
    const code = char.codePointAt(0) as number;
    return code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
  });
}

/**
 * `str(value)`. `isFloat` marks a number known to be a Python float (e.g. the result of `/`),
 * so that `5.0` prints as `5.0` although JavaScript holds it as `5`.
 */
export function pythonStr(value: unknown, isFloat = false): string {
  if (value === null || value === undefined) return "None";
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "True" : "False";
    case "number":
      return pythonNumberStr(value, isFloat);
    case "bigint":
      return value.toString();
  }
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ", ") + pythonRepr(value[i]);
    return `${text}]`;
  }
  if (value instanceof Date) return pythonIsoformat(value, " ");
  if (value instanceof Uint8Array) return pythonBytesRepr(value);
  if (value instanceof WorkflowImage) return imageRepr(value);
  if (isDict(value)) {
    let text = "{";
    let first = true;
    for (const key of Object.keys(value)) {
      text += `${first ? "" : ", "}${pythonStringRepr(key)}: ${pythonRepr(value[key])}`;
      first = false;
    }
    return `${text}}`;
  }
  // Any other object: JavaScript's own text for it (Python would print an address, meaningless here).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}
