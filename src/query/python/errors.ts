/**
 * The Python exceptions the query language's helpers raise, by Python's name. They never leave
 * `src/query`: the operation and statement guards turn them into the workflow errors upstream
 * users see (`InvalidInputTypeError`, `OperationError`), adding which operation failed and where.
 */
export type PythonExceptionName = "TypeError" | "ValueError" | "KeyError" | "IndexError" | "ZeroDivisionError" | "OverflowError";

export class PythonError extends Error {
  constructor(
    readonly pythonName: PythonExceptionName,
    message: string,
  ) {
    super(message);
    this.name = `Python${pythonName}`;
  }
}

export const pyTypeError = (message: string): PythonError => new PythonError("TypeError", message);
export const pyValueError = (message: string): PythonError => new PythonError("ValueError", message);
export const pyKeyError = (message: string): PythonError => new PythonError("KeyError", message);
export const pyIndexError = (message: string): PythonError => new PythonError("IndexError", message);
export const pyZeroDivisionError = (message: string): PythonError => new PythonError("ZeroDivisionError", message);
export const pyOverflowError = (message: string): PythonError => new PythonError("OverflowError", message);
