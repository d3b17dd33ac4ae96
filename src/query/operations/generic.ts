/** Operations on any value: `bool()` and lookup tables. */
import { pythonHashKey } from "../python/compare.js";
import { pyKeyError } from "../python/errors.js";
import { pythonRepr } from "../python/str.js";
import { pythonBool, type PyDict } from "../python/types.js";
import type { OperationBuilders } from "./context.js";

/** `lookup_table[key]`; the table comes from JSON, so only str keys can match. */
export function lookUp(table: PyDict, key: unknown): unknown {
  pythonHashKey(key);
  if (typeof key === "string" && Object.hasOwn(table, key)) return table[key];
  throw pyKeyError(`${pythonRepr(key)} is not a key of the lookup table (keys: ${pythonRepr(Object.keys(table))})`);
}

export const GENERIC_OPERATIONS: OperationBuilders<"ToBoolean" | "LookupTable"> = {
  ToBoolean: () => (value) => pythonBool(value),
  LookupTable:
    ({ lookup_table }) =>
    (value) =>
      lookUp(lookup_table, value),
};
