/**
 * Errors the HTTP layer raises itself (auth, limits, routing, sessions, pipelines). They extend
 * `WorkflowError` so that one error handler turns every failure into the same body shape as
 * upstream's (`{message, error_type, context, inner_error_type, inner_error_message}`,
 * docs/reference/errors.md#the-error-body).
 */
import type { z } from "zod";
import type { WorkflowErrorBody } from "../errors/index.js";
import { HttpError } from "../errors/http.js";

export { HttpError, tooManyRequests } from "../errors/http.js";

/**
 * The body without `inner_error_type` and `inner_error_message` when the error wraps none: Roboflow's
 * Python SDK ends its message with ". More details: <inner_error_message>" whenever that key is
 * there, which said "None" for every error without one (docs/reference/errors.md#the-error-body).
 */
export function withoutEmptyInner(body: WorkflowErrorBody): Record<string, unknown> {
  if (body.inner_error_message !== null) return { ...body };
  const { inner_error_type: _type, inner_error_message: _message, ...rest } = body;
  return rest;
}

/** 401; `wrong`: a key was presented and is not the server's. */
export function unauthorized(reason: "missing" | "wrong"): HttpError {
  const message =
    reason === "missing"
      ? "This server requires an API key: send it as `Authorization: Bearer <key>`, as `api_key` in the JSON body, or as the `api_key` query parameter."
      : "The API key presented is not this server's (the one `sightline serve` was started with: --api-key or SIGHTLINE_API_KEY). Check the key your client sends.";
  return new HttpError(401, "Unauthorized", message, { context: "request_authorisation" });
}

/** Upstream's `MissingApiKeyError` (400), raised by routes that insist on a key even on an open server. */
export function missingApiKey(route: string): HttpError {
  return new HttpError(
    400,
    "MissingApiKeyError",
    `${route} requires an API key (body \`api_key\` or \`Authorization: Bearer <key>\`), as upstream's server does.`,
    {
      context: "request_authorisation",
    },
  );
}

export function notFound(what: string): HttpError {
  return new HttpError(404, "NotFoundError", what, { context: "request_routing" });
}

/** A request body that does not match the route's schema; `detail` mirrors FastAPI's 422 body. */
export function requestValidation(route: string, issues: z.ZodError["issues"]): HttpError {
  const detail = issues.map((issue) => ({
    loc: ["body", ...issue.path.map((key) => (typeof key === "symbol" ? String(key) : key))],
    msg: issue.message,
    type: issue.code,
  }));
  const where = (loc: readonly unknown[]) => (loc.length > 1 ? loc.slice(1).join(".") : "body");
  const summary = detail.map((entry) => `${where(entry.loc)}: ${entry.msg}`).join("; ");
  return new HttpError(422, "RequestValidationError", `Invalid request body for ${route}: ${summary}`, {
    context: "request_validation",
    extra: { detail },
  });
}

/** 413: the request asks for more than a limit allows, whenever it comes. */
export function payloadTooLarge(message: string, context: string): HttpError {
  return new HttpError(413, "PayloadTooLargeError", message, { context });
}

export function requestTimeout(timeoutMs: number): HttpError {
  return new HttpError(504, "RequestTimeoutError", `The request did not finish within the server's limit of ${timeoutMs / 1000} s and was aborted.`, {
    context: "workflow_execution",
  });
}

/** `POST /{workspace}/workflows/{id}`: upstream fetches the definition from Roboflow's API; sightline never calls it. */
export function definitionFetchNotSupported(workspace: string, workflowId: string): HttpError {
  return new HttpError(
    501,
    "WorkflowDefinitionNotAvailableError",
    `sightline does not fetch workflow definitions from Roboflow's API (asked for ${workspace}/${workflowId}). ` +
      "Send the definition itself: POST /workflows/run with {specification, inputs}.",
    { context: "workflow_retrieval" },
  );
}
