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

/**
 * A failure as a workflow error. Workflow errors pass unchanged (they already say where);
 * Python exceptions become `InvalidInputTypeError`, except division by zero, an
 * `OperationError`; anything else is `fallback`'s kind of error.
 */
export function asWorkflowError(
  error: unknown,
  message: (detail: string) => string,
  location: string,
  fallback: typeof OperationError | typeof EvaluationEngineError,
): WorkflowError {
  if (error instanceof WorkflowError) return error;
  const fullDetail = error instanceof Error ? error.message : String(error);
  const detail = fullDetail.length > DETAIL_LENGTH ? `${fullDetail.slice(0, DETAIL_LENGTH - 3)}...` : fullDetail;
  const options = { context: evaluationContext(location), inner: error };
  if (error instanceof PythonError) {
    if (error.pythonName === "ZeroDivisionError") return new OperationError(message(detail), options);
    return new InvalidInputTypeError(message(detail), options);
  }
  return new fallback(message(detail), options);
}
