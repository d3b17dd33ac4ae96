/**
 * Checks on an embedding before any stateful maths touches it. The maths modules throw
 * `DegenerateInputError`; blocks turn it into a `StepExecutionError` naming step, stream and frame.
 * Checking first keeps the state untouched when a frame is rejected.
 */

export class DegenerateInputError extends Error {
  override readonly name = "DegenerateInputError";
}

/**
 * Window sizes are capped so that per-stream state stays bounded (it is kept in memory and
 * written into snapshots): `window_size: null` means this many, and larger values are refused.
 */
export const MAX_WINDOW_SIZE = 1000;

/**
 * The embedding as a list of finite numbers of the expected length (`null`: any length ≥ 1).
 * `what` names the value in messages, e.g. "embedding".
 */
export function checkEmbedding(value: unknown, expectedLength: number | null, what = "embedding"): number[] {
  if (!Array.isArray(value)) {
    throw new DegenerateInputError(`${what} must be a list of numbers, got ${describe(value)}`);
  }
  if (value.length === 0) throw new DegenerateInputError(`${what} is empty`);
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    if (typeof x !== "number") {
      throw new DegenerateInputError(`${what}[${i}] must be a number, got ${describe(x)}`);
    }
    if (!Number.isFinite(x)) {
      throw new DegenerateInputError(`${what}[${i}] is ${x}; embeddings must hold finite numbers only`);
    }
  }
  if (expectedLength !== null && value.length !== expectedLength) {
    throw new DegenerateInputError(
      `${what} has ${value.length} values but this stream's earlier embeddings had ${expectedLength}; ` +
        `one step cannot compare embeddings of different models`,
    );
  }
  return value as number[];
}

/** `window_size` as an integer in [1, MAX_WINDOW_SIZE]; `null` means the cap. */
export function checkWindowSize(value: number | null): number {
  if (value === null) return MAX_WINDOW_SIZE;
  if (!Number.isInteger(value) || value < 1) {
    throw new DegenerateInputError(`window_size must be a whole number ≥ 1, got ${value}`);
  }
  if (value > MAX_WINDOW_SIZE) {
    throw new DegenerateInputError(`window_size ${value} is above the limit of ${MAX_WINDOW_SIZE} (state is kept per stream and snapshotted)`);
  }
  return value;
}

/** A finite number parameter (selectors may deliver anything at run time). */
export function checkNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new DegenerateInputError(`${what} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === "number" ? String(value) : `a ${typeof value}`;
}
