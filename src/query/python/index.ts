/** Python semantics the query language relies on (docs/reference/workflows.md#python-semantics), as small pure functions. */
export * from "./compare.js";
export * from "./errors.js";
export { pythonDoubleToString, type FloatTextOptions, type FloatTextType } from "./float-text.js";
export * from "./format-spec.js";
export * from "./formatter.js";
export * from "./json.js";
export * from "./numbers.js";
export * from "./regex.js";
export * from "./sequences.js";
export * from "./str.js";
export * from "./types.js";
