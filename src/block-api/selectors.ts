/**
 * Selectors in block schemas. A property that may hold a selector is declared with one of the
 * builders below; the zod schema they return carries the selector's role and kinds in
 * `selectorMetadata`, so the one declaration gives the TypeScript type, the validation, the
 * JSON Schema (`/workflows/blocks/describe`) and what the compiler needs to wire the graph.
 */
import { z } from "zod";
import type { KindValue } from "../kinds/index.js";
import type { WorkflowImage } from "../images/index.js";
import { isJsonObject } from "../definition/json.js";

export const INPUT_SELECTOR = /^\$inputs\.[A-Za-z_0-9-]+$/;
export const STEP_SELECTOR = /^\$steps\.[A-Za-z_0-9-]+$/;
export const DATA_SELECTOR = /^(\$inputs\.[A-Za-z_0-9-]+|\$steps\.[A-Za-z_0-9-]+\.[A-Za-z_*0-9-]+)$/;

/** Anything starting with `$` is a selector to the engine (spec §1.4). */
export function isSelector(value: unknown): value is string {
  return typeof value === "string" && value.startsWith("$");
}

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

/** `$inputs.x` or `$steps.s.o` of the given kinds. */
export function selector<const K extends string = "*">(kinds?: readonly K[]): z.ZodType<DataSelector<K>, string> {
  const schema = z.string().regex(DATA_SELECTOR, "must be a selector: $inputs.<name> or $steps.<step>.<output>");
  schema.register(selectorMetadata, { role: "data", kinds: kinds ?? ["*"] });
  return schema as unknown as z.ZodType<DataSelector<K>, string>;
}

/** `$inputs.<name>` where the input is an image (upstream `WorkflowImageSelector`). */
export function imageInputSelector(): z.ZodType<DataSelector<"image">, string> {
  const schema = z.string().regex(INPUT_SELECTOR, "must select a workflow image input: $inputs.<name>");
  schema.register(selectorMetadata, { role: "input", kinds: ["image"] });
  return schema as unknown as z.ZodType<DataSelector<"image">, string>;
}

/** `$steps.<name>`: a step that a flow-control block may select. */
export function stepSelector(): z.ZodType<StepSelector, string> {
  const schema = z.string().regex(STEP_SELECTOR, "must select a step: $steps.<name>");
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

/** Where a selector sits inside a step's properties, e.g. `["data", "left"]` or `["next_steps", 0]`. */
export type PropertyPath = readonly (string | number)[];

export interface SelectorOccurrence {
  path: PropertyPath;
  selector: string;
  metadata: SelectorMetadata;
}

/**
 * Finds the selectors in a step's (already validated) property values by walking the value and
 * its schema together, so a selector is only recognised where the schema allows one — as
 * upstream, where only selector-typed fields are references.
 */
export function findSelectors(schema: z.ZodType, value: unknown, path: PropertyPath = []): SelectorOccurrence[] {
  const found: SelectorOccurrence[] = [];
  walk(schema, value, path, found);
  return found;
}

function walk(schema: z.ZodType, value: unknown, path: PropertyPath, found: SelectorOccurrence[]): void {
  const metadata = selectorMetadata.get(schema);
  if (metadata) {
    if (isSelector(value)) found.push({ path, selector: value, metadata });
    return;
  }
  const inner = wrapped(schema);
  if (inner) {
    walk(inner, value, path, found);
    return;
  }
  const def = schema._zod.def as unknown as ZodDefLike;
  switch (def.type) {
    case "union": {
      const options = def.options as z.ZodType[];
      if (isSelector(value)) {
        const selectorOption = options.find((option) => containsSelectorLeaf(option));
        if (selectorOption) walk(selectorOption, value, path, found);
        return;
      }
      // A literal container may still hold selectors (e.g. a list of selectors); use the first
      // option that accepts the value.
      const match = options.find((option) => option.safeParse(value).success && containsSelectorLeaf(option));
      if (match) walk(match, value, path, found);
      return;
    }
    case "array":
      if (Array.isArray(value)) value.forEach((item, i) => walk(def.element as z.ZodType, item, [...path, i], found));
      return;
    case "record":
      if (isJsonObject(value)) {
        for (const [key, item] of Object.entries(value)) walk(def.valueType as z.ZodType, item, [...path, key], found);
      }
      return;
    case "object":
      if (isJsonObject(value)) {
        const shape = def.shape as Record<string, z.ZodType>;
        for (const [key, item] of Object.entries(value)) {
          if (shape[key]) walk(shape[key], item, [...path, key], found);
        }
      }
      return;
    default:
      return;
  }
}

interface ZodDefLike {
  type: string;
  [key: string]: unknown;
}

/**
 * The schema a wrapper stands for — optional, nullable, default, readonly, a pipe's output, a
 * lazy schema's target…; null when `schema` is not a wrapper. Selectors are found through these.
 */
export function wrapped(schema: z.ZodType): z.ZodType | null {
  const def = schema._zod.def as unknown as ZodDefLike;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return def.innerType as z.ZodType;
    case "pipe":
      return def.out as z.ZodType;
    case "lazy":
      return (def.getter as () => z.ZodType)();
    default:
      return null;
  }
}

const leafCache = new WeakMap<z.ZodType, boolean>();

/** Whether a schema can hold a selector anywhere inside it. */
export function containsSelectorLeaf(schema: z.ZodType): boolean {
  const cached = leafCache.get(schema);
  if (cached !== undefined) return cached;
  leafCache.set(schema, false); // guards recursion through lazy schemas
  const result = computeContainsSelector(schema);
  leafCache.set(schema, result);
  return result;
}

function computeContainsSelector(schema: z.ZodType): boolean {
  if (selectorMetadata.get(schema)) return true;
  const inner = wrapped(schema);
  if (inner) return containsSelectorLeaf(inner);
  const def = schema._zod.def as unknown as ZodDefLike;
  switch (def.type) {
    case "union":
      return (def.options as z.ZodType[]).some(containsSelectorLeaf);
    case "array":
      return containsSelectorLeaf(def.element as z.ZodType);
    case "record":
      return containsSelectorLeaf(def.valueType as z.ZodType);
    case "object":
      return Object.values(def.shape as Record<string, z.ZodType>).some(containsSelectorLeaf);
    default:
      return false;
  }
}

/**
 * The same schema with every selector option removed: what a literal value given at run time
 * through a `WorkflowParameter` must satisfy (spec §1.3). `null` when the property takes
 * selectors only.
 */
export function literalPart(schema: z.ZodType): z.ZodType | null {
  if (selectorMetadata.get(schema)) return null;
  const def = schema._zod.def as unknown as ZodDefLike;
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault": {
      const inner = literalPart(def.innerType as z.ZodType);
      return inner ? inner.optional() : null;
    }
    case "nullable": {
      const inner = literalPart(def.innerType as z.ZodType);
      return inner ? inner.nullable() : null;
    }
    case "union": {
      const options = (def.options as z.ZodType[]).map(literalPart).filter((o): o is z.ZodType => o !== null);
      if (options.length === 0) return null;
      return options.length === 1 ? options[0] : z.union(options as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    }
    default:
      return schema;
  }
}
