/**
 * The Roboflow Workflows query language ("UQL", docs/reference/workflows.md#query-language):
 * schemas for its definitions, a compiler from parsed definitions to synchronous functions, and the
 * Python semantics it needs.
 *
 * Typical use in a block: embed `StatementGroupSchema` / `OperationsChainSchema` in the block's
 * zod schema, then compile once per step (`compileCondition`, `compileOperations`) and call the
 * result per run.
 */
export * from "./schemas.js";
export { compileOperations, NO_GLOBALS, type CompiledOperations, type QueryGlobals } from "./operations/index.js";
export { SEQUENCE_JOIN_MAX_LENGTH } from "./operations/sequences.js";
export { compileCondition, type CompiledCondition, type QueryValues } from "./conditions.js";
export { applyOperations, evaluateCondition, parseOperations, parseStatementGroup } from "./evaluate.js";
export { describeQueryLanguage } from "./describe.js";
export type { OperationDescription, OperatorDescription, QueryLanguageDescription } from "./description.js";
export * from "./python/index.js";
