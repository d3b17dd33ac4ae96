/**
 * Python's sequence builtins as the query language uses them: slicing and subscription,
 * `min` / `max`, and `collections.Counter(...).most_common()` ordering.
 */
import { pythonCompare, pythonHashKey } from "./compare.js";
import { pyIndexError, pyKeyError, pyTypeError, pyValueError } from "./errors.js";
import { pythonRepr } from "./str.js";
import { isDict, pythonTypeName } from "./types.js";

/** Python's slice bounds: negatives count from the end, everything is clamped to the length. */
function sliceBound(index: number, length: number): number {
  if (index < 0) return Math.max(0, index + length);
  return Math.min(index, length);
}

const SURROGATE = /[\ud800-\udfff]/;

/** Python's `text[start:end]`, by code point. */
export function pythonStringSlice(text: string, start: number, end: number): string {
  const chars = SURROGATE.test(text) ? Array.from(text) : null;
  const length = chars ? chars.length : text.length;
  const from = sliceBound(start, length);
  const to = Math.max(from, sliceBound(end, length));
  return chars ? chars.slice(from, to).join("") : text.slice(from, to);
}

/** Python's `container[key]` for lists, strs and dicts. */
export function pythonGetItem(container: unknown, key: unknown): unknown {
  if (isDict(container)) {
    pythonHashKey(key);
    if (typeof key === "string" && Object.hasOwn(container, key)) return container[key];
    throw pyKeyError(pythonRepr(key));
  }
  if (Array.isArray(container) || typeof container === "string") {
    if (typeof key !== "number" || !Number.isInteger(key)) {
      throw pyTypeError(`${pythonTypeName(container)} indices must be integers or slices, not ${pythonTypeName(key)}`);
    }
    const items = typeof container === "string" ? Array.from(container) : container;
    const index = key < 0 ? key + items.length : key;
    if (index < 0 || index >= items.length) throw pyIndexError(`${pythonTypeName(container)} index out of range`);
    return items[index];
  }
  throw pyTypeError(`'${pythonTypeName(container)}' object is not subscriptable`);
}

/** `min(items)` / `max(items)`: the first extreme item wins ties, as in Python. */
export function pythonExtreme(items: readonly unknown[], which: "min" | "max"): unknown {
  if (items.length === 0) throw pyValueError(`${which}() arg is an empty sequence`);
  const operator = which === "min" ? "<" : ">";
  let best = items[0];
  for (let i = 1; i < items.length; i++) if (pythonCompare(items[i], best, operator)) best = items[i];
  return best;
}

/**
 * The distinct items in `Counter(items).most_common()` order: by count, descending; equal
 * counts keep first-insertion order (Python's sort is stable). Items equal under Python's
 * hash (`1`, `1.0`, `True`) count as one, represented by the first seen.
 */
export function pythonCounterOrder(items: readonly unknown[]): unknown[] {
  const counts = new Map<unknown, { item: unknown; count: number }>();
  for (const item of items) {
    const key = pythonHashKey(item);
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { item, count: 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count).map((entry) => entry.item);
}
