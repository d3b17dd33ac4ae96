/**
 * What the sandbox throws. The two load-time problems are upstream's dynamic-block errors
 * (`DynamicBlockCodeError`: the code does not compile or throws while loading;
 * `DynamicBlockError`: a declared function is missing). Run-time problems are plain `Error`s on
 * purpose: the executor wraps non-workflow errors into `StepExecutionError` with the step, and
 * `inner_error_type` then names what happened — the guest's own error name (`TypeError`…) for an
 * exception in the code, like upstream's Python exception names.
 *
 * Every error carries the `phase` it happened in and what the code printed before it failed.
 */
import { DynamicBlockCodeError, DynamicBlockError, WorkflowError, blockError } from "../errors/index.js";
import type { CapturedLogs, CodeSource, LimitName, SandboxPhase, SandboxStep, WireFailure } from "./protocol.js";

const NO_LOGS: CapturedLogs = { stdout: "", stderr: "" };

/** The code does not compile, or throws (or fails) while it is being loaded. */
export class SandboxCodeError extends DynamicBlockCodeError {
  readonly phase: SandboxPhase;
  readonly logs: CapturedLogs;
  readonly source: CodeSource;
  readonly line: number | null;
  readonly column: number | null;
  /** `SyntaxError`, `ReferenceError`, … as the guest named it. */
  readonly guestName: string;

  constructor(failure: Extract<WireFailure, { reason: "code" }>, step: SandboxStep, logs: CapturedLogs = NO_LOGS) {
    const where = failure.line === null ? "" : ` at line ${failure.line}, column ${failure.column}`;
    super(`${failure.source} of step \`${step.name}\`${where}: ${failure.guestName || "Error"}: ${failure.guestMessage}`, {
      blocksErrors: [blockError({ name: step.name, type: step.blockType }, failure.source, where.trim() || null)],
    });
    this.phase = failure.phase;
    this.logs = logs;
    this.source = failure.source;
    this.line = failure.line;
    this.column = failure.column;
    this.guestName = failure.guestName;
  }
}

/** The declared run (or init) function is not defined by the code. */
export class SandboxFunctionMissingError extends DynamicBlockError {
  readonly phase: SandboxPhase;
  readonly logs: CapturedLogs;
  readonly role: "run" | "init";
  readonly functionName: string;

  constructor(failure: Extract<WireFailure, { reason: "missing_function" }>, step: SandboxStep, logs: CapturedLogs = NO_LOGS) {
    super(`declared ${failure.role} function \`${failure.functionName}\` not found (step \`${step.name}\`): ${failure.detail}`, {
      blocksErrors: [blockError({ name: step.name, type: step.blockType }, `${failure.role}_function_name`)],
    });
    this.phase = failure.phase;
    this.logs = logs;
    this.role = failure.role;
    this.functionName = failure.functionName;
  }
}

const LIMIT_WORDING: Record<LimitName, (value: number) => string> = {
  time: (value) => `time limit of ${value} ms`,
  wall_time: (value) => `wall time limit of ${value} ms`,
  memory: (value) => `memory limit of ${formatBytes(value)}`,
  stack: (value) => `stack limit of ${formatBytes(value)} (recursion too deep)`,
  output_size: (value) => `output size limit of ${formatBytes(value)}`,
};

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (Number.isInteger(mib)) return `${mib} MiB`;
  const kib = bytes / 1024;
  return Number.isInteger(kib) ? `${kib} KiB` : `${bytes} bytes`;
}

const PHASE_WORDING: Record<SandboxPhase, string> = {
  load: "while loading its code",
  init: "in its init function",
  run: "in its run function",
};

/** A resource limit stopped the code. After `time`, `wall_time` and `memory` the sandbox restarts. */
export class SandboxLimitError extends Error {
  override readonly name = "SandboxLimitError";
  readonly phase: SandboxPhase;
  readonly logs: CapturedLogs;
  readonly limit: LimitName;
  /** The limit's value, in ms or bytes. */
  readonly value: number;

  constructor(failure: Extract<WireFailure, { reason: "limit" }>, step: SandboxStep, logs: CapturedLogs = NO_LOGS) {
    super(`exceeded ${LIMIT_WORDING[failure.limit](failure.value)}: step \`${step.name}\` ${PHASE_WORDING[failure.phase]}`);
    this.phase = failure.phase;
    this.logs = logs;
    this.limit = failure.limit;
    this.value = failure.value;
  }
}

/** The code threw. `name` is the guest's error name, so `inner_error_type` reads like upstream's. */
export class SandboxExecutionError extends Error {
  readonly phase: SandboxPhase;
  readonly logs: CapturedLogs;
  /** The guest's stack trace; frames point into `run_function_code` / `init_function_code`. */
  readonly guestStack: string;

  constructor(failure: Extract<WireFailure, { reason: "execution" }>, logs: CapturedLogs = NO_LOGS) {
    super(failure.guestMessage);
    this.name = failure.guestName || "Error";
    this.phase = failure.phase;
    this.logs = logs;
    this.guestStack = failure.guestStack;
  }
}

/** A value cannot cross the boundary (a function in the output, a cycle, a Map in the inputs…). */
export class SandboxDataError extends Error {
  override readonly name = "SandboxDataError";
  readonly phase: SandboxPhase;
  readonly logs: CapturedLogs;
  /** Where: `inputs.frames[2]`, `output.items[0].callback`, … */
  readonly path: string;

  constructor(failure: Extract<WireFailure, { reason: "data" }>, logs: CapturedLogs = NO_LOGS) {
    super(`${failure.path} ${failure.problem}`);
    this.phase = failure.phase;
    this.logs = logs;
    this.path = failure.path;
  }
}

/** The sandbox's worker died or could not start; the next call starts a new one. */
export class SandboxCrashError extends Error {
  override readonly name = "SandboxCrashError";
  readonly phase: SandboxPhase;
  readonly logs: CapturedLogs;

  constructor(failure: Extract<WireFailure, { reason: "crash" }>, step: SandboxStep, logs: CapturedLogs = NO_LOGS) {
    super(`the sandbox of step \`${step.name}\` failed ${PHASE_WORDING[failure.phase]}: ${failure.detail}`);
    this.phase = failure.phase;
    this.logs = logs;
  }
}

export type SandboxError = SandboxCodeError | SandboxFunctionMissingError | SandboxLimitError | SandboxExecutionError | SandboxDataError | SandboxCrashError;

export function failureToError(failure: WireFailure, step: SandboxStep, logs: CapturedLogs = NO_LOGS): SandboxError {
  switch (failure.reason) {
    case "code":
      return new SandboxCodeError(failure, step, logs);
    case "missing_function":
      return new SandboxFunctionMissingError(failure, step, logs);
    case "limit":
      return new SandboxLimitError(failure, step, logs);
    case "execution":
      return new SandboxExecutionError(failure, logs);
    case "data":
      return new SandboxDataError(failure, logs);
    case "crash":
      return new SandboxCrashError(failure, step, logs);
  }
}

/**
 * What failing to load a step's code is, whatever stopped it — an exception (already a
 * `SandboxCodeError`), a limit while loading or in `init`, a crash: a `DynamicBlockCodeError`
 * naming the step and the code, the sandbox's own error as its inner error. A compile error, as
 * the code is the definition's (docs/reference/errors.md#dynamicblockcodeerror).
 */
export function loadError(error: SandboxError, step: SandboxStep): WorkflowError {
  if (error instanceof WorkflowError) return error;
  const source: CodeSource = error.phase === "init" ? "init_function_code" : "run_function_code";
  const where = PHASE_WORDING[error.phase];
  const what =
    error instanceof SandboxLimitError
      ? `exceeded the ${LIMIT_WORDING[error.limit](error.value)} ${where}`
      : `failed ${where}: ${error.name}: ${error.message}`;
  const message = `${source} of step \`${step.name}\` ${what}`;
  return new DynamicBlockCodeError(message, { inner: error, blocksErrors: [blockError({ name: step.name, type: step.blockType }, source, what)] });
}
