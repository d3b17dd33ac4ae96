/**
 * Pieces of the core blocks' state schemas (`StateSpec.schema`): what a snapshot restored from a
 * file must hold before `run` trusts it (docs/reference/cli.md#state-files). Messages say what
 * was expected ("must be …" is how the issue formatter reads an expectation).
 */
import { z } from "zod";
import { formatPath } from "../definition/index.js";
import { MAX_WINDOW_SIZE } from "../maths/input-checks.js";

const COUNT_EXPECTED = "must be an integer ≥ 0";

/** Frames, samples, weights: a whole number ≥ 0. */
export const count = z.int({ error: COUNT_EXPECTED }).min(0, { error: COUNT_EXPECTED });

const FINITE_EXPECTED = "must be a finite number";

/** Any finite number (zod's numbers already exclude NaN and ±Infinity). */
export const finite = z.number({ error: FINITE_EXPECTED });

const NON_NEGATIVE_EXPECTED = "must be a finite number ≥ 0";

export const nonNegative = z.number({ error: NON_NEGATIVE_EXPECTED }).min(0, { error: NON_NEGATIVE_EXPECTED });

/** An embedding or a statistic of embeddings: a non-empty list of finite numbers. */
export const vector = z.array(finite, { error: "must be a list of finite numbers" }).min(1, { error: "must be a non-empty list of finite numbers" });

/** A list of at most `limit` items; `what` names them and the bound, e.g. "embeddings (window_size)". */
export function boundedList<T extends z.ZodType>(item: T, limit: number, what: string) {
  return z.array(item).max(limit, { error: (issue) => `expected at most ${limit} ${what}, got ${(issue.input as unknown[]).length}` });
}

/**
 * The longest window a step keeps for a literal `window_size` (null: the cap; a selector,
 * undefined: the cap too; a size the maths refuses: nothing is ever kept).
 */
export function windowBound(windowSize: number | null | undefined): number {
  if (windowSize === null || windowSize === undefined) return MAX_WINDOW_SIZE;
  return Number.isInteger(windowSize) && windowSize >= 1 ? Math.min(windowSize, MAX_WINDOW_SIZE) : 0;
}

/**
 * `schema` with checks across its fields (`invariants`), run only once every field has passed,
 * so that they see well-formed values.
 */
export function withInvariants<T extends z.ZodType>(schema: T, invariants: (value: z.output<T>, ctx: z.RefinementCtx<z.output<T>>) => void) {
  return schema.superRefine(invariants, { when: (payload) => payload.issues.length === 0 });
}

/** Adds the issue of an invariant: where (relative to the value checked), what was there, and what was expected. */
export function problem(ctx: z.RefinementCtx, path: readonly PropertyKey[], input: unknown, message: string): void {
  ctx.addIssue({ code: "custom", path: [...path], input, message });
}

/**
 * Adds an issue for every vector whose length differs from the first present one: the maths
 * compares each new embedding with these, and a state of mixed lengths fails every later frame
 * with a message about the frame, not the state. `vectors` maps a path to a vector or null.
 */
export function oneDimension(ctx: z.RefinementCtx, vectors: readonly (readonly [readonly PropertyKey[], readonly unknown[] | null])[]): void {
  const present = vectors.filter((entry): entry is readonly [readonly PropertyKey[], readonly unknown[]] => entry[1] !== null);
  if (present.length === 0) return;
  const [firstPath, first] = present[0];
  for (const [path, values] of present.slice(1)) {
    if (values.length !== first.length) problem(ctx, path, values, `expected ${first.length} values, as ${formatPath(firstPath)} has, got ${values.length}`);
  }
}

/** Adds an issue when the list at `key` holds more entries than were ever counted (`counted`, named `countName`). */
export function notMoreThanCounted(ctx: z.RefinementCtx, key: string, list: readonly unknown[], counted: number, countName: string): void {
  if (list.length > counted) problem(ctx, [key], list, `expected at most ${countName} (${counted}) entries, got ${list.length}`);
}
