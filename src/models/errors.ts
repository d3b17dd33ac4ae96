/**
 * Errors of the model layer. They are plain `Error`s, not `WorkflowError`s: inside a workflow
 * the engine wraps them into a `StepExecutionError` naming the step, and the CLI prints them as
 * they are. Each message says which model, which file and what to do about it.
 */

export class ModelError extends Error {
  override name = "ModelError";
}

/** A file is missing from the cache and offline mode forbids fetching it. */
export class ModelOfflineError extends ModelError {
  override name = "ModelOfflineError";
}

/** A download failed; nothing was left in the cache. `status` is the HTTP status, if any. */
export class ModelDownloadError extends ModelError {
  override name = "ModelDownloadError";
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}
