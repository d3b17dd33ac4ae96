/**
 * `inner_error_type` in upstream's error bodies is the class name of a Python exception
 * (`KeyError`, `ValueError`, pydantic's `ValidationError`…); clients switch on it. sightline's
 * inner errors are JavaScript objects, so their names are translated
 * (docs/reference/errors.md#inner-error-names).
 */

/** JavaScript's error names → Python's exception of the same meaning. Other names stay as they are. */
const PYTHON_NAMES: Readonly<Record<string, string>> = {
  // a plain Error is thrown for a value a block cannot use, what Python code raises ValueError for
  Error: "ValueError",
  RangeError: "ValueError",
  // JSON.parse's; Python's json.loads raises a ValueError too
  SyntaxError: "ValueError",
  URIError: "ValueError",
  ReferenceError: "NameError",
  EvalError: "RuntimeError",
  AggregateError: "ExceptionGroup",
  AbortError: "CancelledError",
  // zod validates what pydantic validates upstream
  ZodError: "ValidationError",
};

/**
 * The Python name of an error thrown inside sightline: the `pythonName` of an error that
 * carries one (the query language's Python exceptions), else the translation of its JavaScript
 * name.
 */
export function pythonErrorName(error: Error): string {
  const { pythonName } = error as { pythonName?: unknown };
  if (typeof pythonName === "string") return pythonName;
  const name = error.name || "Error";
  return PYTHON_NAMES[name] ?? name;
}

/** An `Error` whose `inner_error_type` is the given Python exception, for a block that raises what upstream's raises. */
export function pythonException(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
