/**
 * Turning what goes wrong while a query runs into upstream's error types, always saying where
 * (the operation or statement and its place in the definition) and on what value.
 */
import { EvaluationEngineError, InvalidInputTypeError, OperationError, WorkflowError } from "../errors/index.js";
import { PythonError } from "./python/errors.js";
import { pythonRepr } from "./python/str.js";
import { isDict, pythonTypeName } from "./python/types.js";

/** The `context` upstream puts on query-language errors. */
export function evaluationContext(location: string): string {
  return `step_execution | roboflow_query_language_evaluation | ${location}`;
}

const PREVIEW_LENGTH = 80;
const DETAIL_LENGTH = 300;

/** Containers this large are summarised rather than printed (errors must stay cheap). */
const PREVIEW_ITEMS = 50;

function preview(value: unknown): string {
  if (typeof value === "string" && value.length > PREVIEW_LENGTH) return pythonRepr(value.slice(0, PREVIEW_LENGTH));
  if (Array.isArray(value) && value.length > PREVIEW_ITEMS) return `a list of ${value.length} items`;
  if (isDict(value)) {
    const size = Object.keys(value).length;
    if (size > PREVIEW_ITEMS) return `a dict of ${size} keys`;
  }
  try {
    return pythonRepr(value);
  } catch {
    return "?";
  }
}

/** `a value of type str ('abc')`, shortened for long values. */
export function describeValue(value: unknown): string {
  let text = preview(value);
  if (text.length > PREVIEW_LENGTH) text = `${text.slice(0, PREVIEW_LENGTH - 3)}...`;
  return `a value of type ${pythonTypeName(value)} (${text})`;
}

/** What a thrown value says, shortened: Python's `str(error)`. */
function errorDetail(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return detail.length > DETAIL_LENGTH ? `${detail.slice(0, DETAIL_LENGTH - 3)}...` : detail;
}

/**
 * An operation's failure as a workflow error. Workflow errors pass unchanged (they already say
 * where); Python exceptions become `InvalidInputTypeError`, except division by zero, an
 * `OperationError`; anything else is an `OperationError`.
 */
export function asOperationError(error: unknown, message: (detail: string) => string, location: string): WorkflowError {
  if (error instanceof WorkflowError) return error;
  const options = { context: evaluationContext(location), inner: error };
  if (error instanceof PythonError && error.pythonName !== "ZeroDivisionError") return new InvalidInputTypeError(message(errorDetail(error)), options);
  return new OperationError(message(errorDetail(error)), options);
}

export type StatementType = "BinaryStatement" | "UnaryStatement";

/**
 * A statement's failure as upstream's `binary_eval` / `unary_eval` report it: workflow errors (an
 * operand chain's) pass unchanged, anything else is an `EvaluationEngineError` in upstream's
 * words, with what was compared appended.
 */
export function asEvaluationError(error: unknown, statement: StatementType, location: string, applied: string): WorkflowError {
  if (error instanceof WorkflowError) return error;
  return new EvaluationEngineError(
    `Attempted to execute evaluation of type: ${statement} in context ${location}, but encountered error: ${errorDetail(error)} (${applied})`,
    { context: evaluationContext(location), inner: error },
  );
}
