/**
 * Errors that carry their own HTTP status and upstream error type: raised by the HTTP layer
 * (auth, limits, routing) and by the pipeline service underneath it (an unknown pipeline, no
 * room for another), which answer through the same error handler and body shape as every
 * `WorkflowError` (docs/reference/errors.md#the-error-body).
 */
import { WorkflowError, type WorkflowErrorBody, type WorkflowErrorOptions } from "./index.js";

export class HttpError extends WorkflowError {
  override readonly errorType: string;
  override readonly httpStatus: number;
  /** Extra top-level fields of the body (e.g. FastAPI's `detail`). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Response headers, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    errorType: string,
    message: string,
    options: WorkflowErrorOptions & { extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message, options);
    this.httpStatus = status;
    this.errorType = errorType;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  override toBody(): WorkflowErrorBody {
    return { ...super.toBody(), ...this.extra };
  }
}

export function tooManyRequests(message: string): HttpError {
  return new HttpError(429, "TooManyRequestsError", message, { context: "request_admission", headers: { "retry-after": "1" } });
}
