/**
 * The Python exceptions the query language's helpers raise, by Python's name. Inside a chain or a
 * condition the operation and statement guards turn them into the workflow errors upstream users
 * see (`InvalidInputTypeError`, `OperationError`, `EvaluationEngineError`), adding what failed and
 * where. A block that throws one directly (`string_template`'s `ValueError`, `expression`'s
 * `KeyError`) fails its step with a `StepExecutionError` whose `inner_error_type` is the Python
 * name, as upstream's is: the error's `name` is that name.
 */
export type PythonExceptionName = "TypeError" | "ValueError" | "KeyError" | "IndexError" | "ZeroDivisionError" | "OverflowError";

export class PythonError extends Error {
  constructor(
    readonly pythonName: PythonExceptionName,
    message: string,
  ) {
    super(message);
    this.name = pythonName;
  }
}

export const pyTypeError = (message: string): PythonError => new PythonError("TypeError", message);
export const pyValueError = (message: string): PythonError => new PythonError("ValueError", message);
export const pyKeyError = (message: string): PythonError => new PythonError("KeyError", message);
export const pyIndexError = (message: string): PythonError => new PythonError("IndexError", message);
export const pyZeroDivisionError = (message: string): PythonError => new PythonError("ZeroDivisionError", message);
export const pyOverflowError = (message: string): PythonError => new PythonError("OverflowError", message);
