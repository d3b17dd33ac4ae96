/**
 * One-call forms for callers that hold raw definitions: parse (with defaults), compile once per
 * definition object (cached by identity) and run. Hot paths should compile up front instead.
 */
import type { z } from "zod";
import { formatIssues } from "../definition/issues.js";
import { WorkflowSyntaxError } from "../errors/index.js";
import { compileCondition, type CompiledCondition, type QueryValues } from "./conditions.js";
import { compileOperations, NO_GLOBALS, type CompiledOperations, type QueryGlobals } from "./operations/index.js";
import { OperationsChainSchema, StatementGroupSchema, type Operation, type OperationInput, type StatementGroup, type StatementGroupInput } from "./schemas.js";

function parse<T>(schema: z.ZodType<T>, raw: unknown, where: string): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = formatIssues(result.error.issues, [where]);
  throw new WorkflowSyntaxError(`Invalid query-language definition: ${problems.join("; ")}`, { inner: result.error });
}

/** Validates an operation chain, filling defaults; `WorkflowSyntaxError` naming each problem. */
export function parseOperations(raw: unknown, where = "operations"): Operation[] {
  return parse(OperationsChainSchema, raw, where);
}

/** Validates a statement group, filling defaults; `WorkflowSyntaxError` naming each problem. */
export function parseStatementGroup(raw: unknown, where = "condition"): StatementGroup {
  return parse(StatementGroupSchema, raw, where);
}

const compiledConditions = new WeakMap<object, CompiledCondition>();
const compiledChains = new WeakMap<object, CompiledOperations>();

/** Evaluates a statement group as written in a definition against named values. */
export function evaluateCondition(definition: StatementGroupInput, values: QueryValues): boolean {
  let compiled = compiledConditions.get(definition);
  if (compiled === undefined) {
    compiled = compileCondition(parseStatementGroup(definition));
    compiledConditions.set(definition, compiled);
  }
  return compiled(values);
}

/** Applies an operation chain as written in a definition to `value`. */
export function applyOperations(value: unknown, operations: readonly OperationInput[], globals: QueryGlobals = NO_GLOBALS): unknown {
  let compiled = compiledChains.get(operations);
  if (compiled === undefined) {
    compiled = compileOperations(parseOperations(operations));
    compiledChains.set(operations, compiled);
  }
  return compiled(value, globals);
}
