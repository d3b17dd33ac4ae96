/**
 * Selectors in block schemas. A property that may hold a selector is declared with one of the
 * builders below; the zod schema they return carries the selector's role and kinds in
 * `selectorMetadata`, so the one declaration gives the TypeScript type, the validation, the
 * JSON Schema (`/workflows/blocks/describe`) and what the compiler needs to wire the graph.
 */
import { z } from "zod";
import type { KindValue } from "../kinds/index.js";
import type { WorkflowImage } from "../images/index.js";
import { DATA_SELECTOR, INPUT_SELECTOR, STEP_SELECTOR } from "../definition/selectors.js";

// Blocks import only the block API, and may need to tell a selector from a literal too.
export { DATA_SELECTOR, INPUT_SELECTOR, STEP_SELECTOR, isSelector } from "../definition/selectors.js";

/**
 * - `data`: `$inputs.x` or `$steps.s.o` — a value produced by an input or a step;
 * - `step`: `$steps.s` — a step to run next (flow control);
 * - `input`: `$inputs.x` only (e.g. upstream's `WorkflowImageSelector`).
 */
export type SelectorRole = "data" | "step" | "input";

export interface SelectorMetadata {
  role: SelectorRole;
  /** Kind names accepted; `["*"]` accepts anything. Unused for `step`. */
  kinds: readonly string[];
}

export const selectorMetadata = z.registry<SelectorMetadata>();

declare const selectorBrand: unique symbol;
/** Type-level marker: a selector whose resolved value has one of the kinds `K`. */
export type DataSelector<K extends string> = string & { readonly [selectorBrand]: K };
declare const stepBrand: unique symbol;
/** Type-level marker: a `$steps.x` selector handed to a flow-control block unchanged. */
export type StepSelector = string & { readonly [stepBrand]: true };

/**
 * A string of the selector's grammar. A string that is not one fails this alternative outright
 * (`abort`), so that a union with a literal reports both alternatives — "expected a selector (…)
 * or one of …" — rather than only the selector's pattern (docs/reference/workflows.md#steps).
 */
function selectorString(pattern: RegExp, message: string): z.ZodString {
  return z.string({ error: message }).regex(pattern, { error: message, abort: true });
}

/** `$inputs.x` or `$steps.s.o` of the given kinds. */
export function selector<const K extends string = "*">(kinds?: readonly K[]): z.ZodType<DataSelector<K>, string> {
  const schema = selectorString(DATA_SELECTOR, "must be a selector ($inputs.<name> or $steps.<step>.<output>)");
  schema.register(selectorMetadata, { role: "data", kinds: kinds ?? ["*"] });
  return schema as unknown as z.ZodType<DataSelector<K>, string>;
}

/** `$inputs.<name>` where the input is an image (upstream `WorkflowImageSelector`). */
export function imageInputSelector(): z.ZodType<DataSelector<"image">, string> {
  const schema = selectorString(INPUT_SELECTOR, "must be a workflow image input ($inputs.<name>)");
  schema.register(selectorMetadata, { role: "input", kinds: ["image"] });
  return schema as unknown as z.ZodType<DataSelector<"image">, string>;
}

/** `$steps.<name>`: a step that a flow-control block may select. */
export function stepSelector(): z.ZodType<StepSelector, string> {
  const schema = selectorString(STEP_SELECTOR, "must be a step ($steps.<name>)");
  schema.register(selectorMetadata, { role: "step", kinds: [] });
  return schema as unknown as z.ZodType<StepSelector, string>;
}

/** A literal of the given schema, or a selector of the given kinds. */
export function literalOrSelector<L extends z.ZodType, const K extends string>(
  literal: L,
  kinds: readonly K[],
): z.ZodUnion<[z.ZodType<DataSelector<K>, string>, L]> {
  return z.union([selector(kinds), literal]);
}

/**
 * What a step's `run` receives for a property declared with these builders: selectors replaced
 * by the values they resolve to, everything else as parsed.
 */
export type Resolved<T> =
  T extends DataSelector<infer K>
    ? KindValue<K>
    : T extends StepSelector
      ? string
      : T extends WorkflowImage | Date
        ? T
        : T extends readonly (infer U)[]
          ? Resolved<U>[]
          : T extends object
            ? { [P in keyof T]: Resolved<T[P]> }
            : T;
