/**
 * Python's `json.dumps(value)` with its defaults: `", "` and `": "` separators, `ensure_ascii`
 * (every character outside space..`~` as a lowercase `\uXXXX` escape), `NaN` / `Infinity`
 * allowed, floats as `repr(float)`.
 */
import { pyTypeError } from "./errors.js";
import { pythonFloatRepr } from "./str.js";
import { isDict, isPythonInt, pythonTypeName } from "./types.js";

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

const NEEDS_ESCAPE = /["\\]|[^\x20-\x7e]/g;

function encodeString(text: string): string {
  return `"${text.replace(NEEDS_ESCAPE, (char) => SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

function encodeNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return isPythonInt(value) ? String(value) : pythonFloatRepr(value);
}

export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return encodeNumber(value);
    case "string":
      return encodeString(value);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (isDict(value)) {
    return `{${Object.keys(value)
      .map((key) => `${encodeString(key)}: ${pythonJsonDumps(value[key])}`)
      .join(", ")}}`;
  }
  throw pyTypeError(`Object of type ${pythonTypeName(value)} is not JSON serializable`);
}
