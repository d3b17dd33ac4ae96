/**
 * How a command ends: its exit code, and what it says about a failure — on standard error, once,
 * in the user's terms (docs/reference/cli.md#output-and-exit-codes).
 */
import { toErrorBody, WorkflowError, type WorkflowErrorBody } from "../errors/index.js";
import { ModelError } from "../models/index.js";
import { printJson } from "./io.js";

export const EXIT = {
  ok: 0,
  /** Something failed: a source, a frame, an input line, the definition, the command's work. */
  failed: 1,
  /** The command line is wrong: an unknown option or name, a bad value, a missing argument. */
  usage: 2,
} as const;

/** Exit code of a command stopped by a signal: 128 + the signal's number, as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}

/**
 * Calls `stop` on each SIGINT and SIGTERM until the returned function is called: a run stops
 * cleanly (finishes the frame in hand, flushes) instead of dying on the signal.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  };
}

/** The command line names something the workflow or the program does not have (exit 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A failure as a person reads it: a workflow error's type and message; a model, command-line or
 * system error's message (each says what and where); anything else is a bug, shown with its stack.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof WorkflowError) return `${error.errorType}: ${error.message}`;
  if (error instanceof UsageError || error instanceof ModelError || isSystemError(error)) return error.message;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `unexpected error (a bug in sightline; please report it): ${detail}`;
}

export interface FailureOutput {
  /**
   * Also print the error body on standard output, for the commands whose output format promises
   * one (`validate`, `run`): a program reading the results sees why there are none, in the body
   * upstream's server answers. Never for a usage error, which is no workflow's error.
   */
  errorBody?: boolean;
}

/** Says the failure on standard error (and, if asked, its body on standard output); returns the command's exit code. */
export function reportFailure(command: string, error: unknown, output: FailureOutput = {}): number {
  if (output.errorBody && !(error instanceof UsageError)) printJson(toErrorBody(error));
  process.stderr.write(`sightline ${command}: ${describeFailure(error)}\n`);
  return error instanceof UsageError ? EXIT.usage : EXIT.failed;
}

/**
 * Runs every clean-up step — flush the outputs, save the state, close the engine — even when one
 * fails, reporting each failure. True when all went well.
 */
export async function cleanUp(command: string, steps: readonly (() => Promise<unknown>)[]): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      ok = false;
      reportFailure(command, error);
    }
  }
  return ok;
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && "syscall" in error;
}

/**
 * Reports each distinct error once: a model that cannot load, a missing input, fail every frame or
 * line the same way, and thousands of copies would hide everything else. The first repeat says
 * where the rest are counted.
 */
export class ErrorLog {
  private readonly seen = new Set<string>();
  private repeated = false;

  constructor(
    private readonly write: (text: string) => void,
    /** Where every failure can still be found, e.g. "the summary counts every failed frame". */
    private readonly counted: string,
  ) {}

  report(where: string, error: WorkflowErrorBody): void {
    const key = `${error.error_type}\n${error.message}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.write(`${where}: ${error.error_type}: ${error.message}`);
    } else if (!this.repeated) {
      this.repeated = true;
      this.write(`${where}: the same ${error.error_type} again; repeats of an error already shown are not shown (${this.counted})`);
    }
  }
}
