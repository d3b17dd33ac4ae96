/**
 * Python's comparison semantics: `==` (bool is an int, so `True == 1`; containers compare by
 * content), ordering (`<` etc. raise `TypeError` across unrelated types), `in`, and the hash
 * identity dictionaries and `Counter` use (`1`, `1.0` and `True` are one key).
 */
import { pyTypeError } from "./errors.js";
import { isDict, pythonTypeName } from "./types.js";

function isNumeric(value: unknown): value is number | boolean {
  return typeof value === "number" || typeof value === "boolean";
}

export function pythonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNumeric(a)) return isNumeric(b) && Number(a) === Number(b);
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a !== "object" || typeof b !== "object" || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pythonEquals(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Uint8Array) return b instanceof Uint8Array && compareBytes(a, b) === 0;
  if (isDict(a)) {
    if (!isDict(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) if (!Object.hasOwn(b, key) || !pythonEquals(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/**
 * Orders strings by code point as Python does. UTF-16 order differs only where a surrogate
 * (a code point above U+FFFF) meets a unit in U+E000..U+FFFF; remapping the two ranges fixes it.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

function codePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export type OrderingOperator = "<" | "<=" | ">" | ">=";

function holds(difference: number, operator: OrderingOperator): boolean {
  switch (operator) {
    case "<":
      return difference < 0;
    case "<=":
      return difference <= 0;
    case ">":
      return difference > 0;
    case ">=":
      return difference >= 0;
  }
}

/** `a <op> b` with Python's rules; `TypeError` where Python has no ordering. */
export function pythonCompare(a: unknown, b: unknown, operator: OrderingOperator): boolean {
  if (isNumeric(a) && isNumeric(b)) {
    const x = Number(a);
    const y = Number(b);
    switch (operator) {
      case "<":
        return x < y;
      case "<=":
        return x <= y;
      case ">":
        return x > y;
      case ">=":
        return x >= y;
    }
  }
  if (typeof a === "string" && typeof b === "string") return holds(compareStrings(a, b), operator);
  if (Array.isArray(a) && Array.isArray(b)) {
    // Python compares the first differing items; only equal prefixes fall back to lengths.
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!pythonEquals(a[i], b[i])) return pythonCompare(a[i], b[i], operator);
    }
    return holds(a.length - b.length, operator);
  }
  if (a instanceof Date && b instanceof Date) return holds(a.getTime() - b.getTime(), operator);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return holds(compareBytes(a, b), operator);
  throw pyTypeError(`'${operator}' not supported between instances of '${pythonTypeName(a)}' and '${pythonTypeName(b)}'`);
}

/** A JavaScript `Map` key that is equal exactly when Python's `hash`/`==` would match. */
export function pythonHashKey(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "boolean") return Number(value);
  if (value instanceof Date) return BigInt(value.getTime());
  if (Array.isArray(value) || isDict(value)) throw pyTypeError(`unhashable type: '${pythonTypeName(value)}'`);
  return value;
}

/** Python's `item in container`. */
export function pythonContains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) {
    for (const element of container) if (pythonEquals(element, item)) return true;
    return false;
  }
  if (typeof container === "string") {
    if (typeof item !== "string") throw pyTypeError(`'in <string>' requires string as left operand, not ${pythonTypeName(item)}`);
    return container.includes(item);
  }
  if (isDict(container)) {
    pythonHashKey(item);
    // Keys of a JSON object are strings, so nothing else can be one.
    return typeof item === "string" && Object.hasOwn(container, item);
  }
  if (container instanceof Uint8Array) {
    if (typeof item === "number" && Number.isInteger(item)) return container.includes(item);
    throw pyTypeError(`a bytes-like object is required, not '${pythonTypeName(item)}'`);
  }
  throw pyTypeError(`argument of type '${pythonTypeName(container)}' is not iterable`);
}
