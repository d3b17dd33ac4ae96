/**
 * How the values of a workflow map onto Python's types, and the type-level builtins (`type()`,
 * `bool()`, `len()`, iteration) that upstream's query language applies to them.
 *
 * JSON gives JavaScript one number type where Python has two. We take a number for a Python
 * `int` when it is a safe integer other than −0, and for a `float` otherwise; callers that know a
 * value is a float (e.g. the result of a division) say so where it matters (`pythonStr`).
 */
import { Detections } from "../../block-api/detections.js";
import { WorkflowImage } from "../../images/index.js";
import { pyTypeError } from "./errors.js";

/** A JSON object / Python `dict`. */
export type PyDict = Record<string, unknown>;

export function isDict(value: unknown): value is PyDict {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function isPythonInt(value: number): boolean {
  return Number.isSafeInteger(value) && !Object.is(value, -0);
}

/** Python's `type(value).__name__`. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  switch (typeof value) {
    case "boolean":
      return "bool";
    case "number":
      return isPythonInt(value) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "str";
    case "function":
      return "function";
  }
  if (Array.isArray(value)) return "list";
  if (value instanceof Date) return "datetime";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof WorkflowImage) return "WorkflowImageData";
  if (isDict(value)) return "dict";
  return value.constructor?.name ?? "object";
}

/** Python's `bool(value)`: note that `nan` is truthy and empty containers are falsy. */
export function pythonBool(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case "boolean":
      return value;
    case "number":
      return value !== 0;
    case "bigint":
      return value !== 0n;
    case "string":
      return value.length > 0;
  }
  if (Array.isArray(value) || value instanceof Uint8Array || value instanceof Detections) return value.length > 0;
  if (isDict(value)) {
    for (const key in value) if (Object.hasOwn(value, key)) return true;
    return false;
  }
  return true;
}

/** Number of code points: Python counts characters, JavaScript counts UTF-16 units. */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/** Python's `len(value)`. */
export function pythonLen(value: unknown): number {
  if (typeof value === "string") return codePointLength(value);
  if (Array.isArray(value) || value instanceof Uint8Array || value instanceof Detections) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  throw pyTypeError(`object of type '${pythonTypeName(value)}' has no len()`);
}

/** The elements `for item in value` visits: list items, characters of a str, keys of a dict. */
export function pythonIterate(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return Array.from(value);
  if (isDict(value)) return Object.keys(value);
  if (value instanceof Uint8Array) return Array.from(value);
  throw pyTypeError(`'${pythonTypeName(value)}' object is not iterable`);
}
