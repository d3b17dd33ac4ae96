import { formatPath } from "./issues.js";

/** A JSON object (not an array, not null): what every layer checks before reading keys of parsed JSON. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Lists and objects nest at most this deep in a definition, a request body or a run's inputs
 * (docs/reference/workflows.md#nesting-depth): far beyond any real document, and far below the
 * depth at which the recursive code that validates, hashes and serialises them would exhaust the
 * stack.
 */
export const MAX_JSON_DEPTH = 100;

interface Visit {
  value: unknown;
  depth: number;
  key: string | number;
  parent: Visit | null;
}

/**
 * The path to the first list or object nested deeper than `limit` (a list is one level, a list in
 * it two), or null. Walked without recursion, so that any depth can be measured; only lists and
 * plain objects are entered (not images' pixel buffers).
 */
export function pathBeyondDepth(value: unknown, limit = MAX_JSON_DEPTH): Array<string | number> | null {
  const pending: Visit[] = [{ value, depth: 0, key: "", parent: null }];
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    const children = containerEntries(visit.value);
    if (children === null) continue;
    if (visit.depth + 1 > limit) return pathOf(visit);
    for (const [key, child] of children) pending.push({ value: child, depth: visit.depth + 1, key, parent: visit });
  }
  return null;
}

function containerEntries(value: unknown): Iterable<[string | number, unknown]> | null {
  if (Array.isArray(value)) return value.entries();
  if (typeof value !== "object" || value === null) return null;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ? Object.entries(value) : null;
}

function pathOf(visit: Visit): Array<string | number> {
  const path: Array<string | number> = [];
  for (let at: Visit | null = visit; at?.parent; at = at.parent) path.unshift(at.key);
  return path;
}

/** "<subject> nests lists and objects deeper than the limit of 100 levels (at steps[0].data.a[0][0]…)": the path's start is enough to find it. */
export function tooDeepMessage(subject: string, path: readonly (string | number)[]): string {
  const shown = formatPath(path.slice(0, 8)) + (path.length > 8 ? "…" : "");
  return `${subject} nests lists and objects deeper than the limit of ${MAX_JSON_DEPTH} levels${shown ? ` (at ${shown})` : ""}.`;
}
