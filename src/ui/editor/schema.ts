/**
 * Reads a block's step schema (the JSON Schema `/workflows/blocks/describe` generates from the
 * block's zod schema) into what the editor needs per property: where selectors may go (with
 * their kinds, and whether the property holds one, a list or a map of them) and which literal
 * editor fits the rest. Pure; no React.
 */
import type { JsonSchema } from "../wire.js";

export type { JsonSchema };

/** Where a selector may be plugged into a property. */
export interface SelectorSlot {
  /** `data`: `$inputs.x` / `$steps.x.y`; `step`: `$steps.x` (flow control). */
  element: "data" | "step";
  /** Kind names accepted (empty for step slots). */
  kinds: string[];
  container: "single" | "list" | "dict";
}

export type LiteralModel =
  | { type: "enum"; options: string[] }
  | { type: "number"; integer: boolean; minimum?: number; maximum?: number }
  | { type: "boolean" }
  | { type: "string" }
  | { type: "string-list" }
  /** Anything more complex (objects, unions of scalars, nested statements): edited as JSON text. */
  | { type: "json" };

export interface PropertyModel {
  name: string;
  description: string;
  required: boolean;
  /** The schema's default, when it declares one. */
  defaultValue?: unknown;
  slots: SelectorSlot[];
  /** Null when the property only takes selectors. */
  literal: LiteralModel | null;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Follows local `$ref`s (`#/$defs/...`) against the block schema. */
function resolve(schema: unknown, root: JsonSchema, depth = 0): JsonSchema {
  if (!isObject(schema)) return {};
  const ref = schema.$ref;
  if (typeof ref !== "string" || depth > 16 || !ref.startsWith("#/")) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split("/")) target = isObject(target) ? target[part] : undefined;
  // Keywords next to a `$ref` (description, default) still apply.
  const { $ref: _ref, ...siblings } = schema;
  return { ...resolve(target, root, depth + 1), ...siblings };
}

/** The alternatives of a schema: anyOf/oneOf flattened, `null` dropped (a nullable property is just optional here). */
function alternatives(schema: unknown, root: JsonSchema): JsonSchema[] {
  const resolved = resolve(schema, root);
  const options = Array.isArray(resolved.anyOf) ? resolved.anyOf : Array.isArray(resolved.oneOf) ? resolved.oneOf : null;
  if (options) return options.flatMap((option) => alternatives(option, root));
  if (resolved.type === "null") return [];
  return [resolved];
}

function selectorElement(schema: JsonSchema): SelectorSlot["element"] | null {
  if (schema.reference !== true) return null;
  return schema.selected_element === "step" ? "step" : "data";
}

function kindNames(schema: JsonSchema): string[] {
  if (!Array.isArray(schema.kind)) return [];
  return schema.kind.map((kind) => (isObject(kind) && typeof kind.name === "string" ? kind.name : String(kind)));
}

/** The selector leaves of one alternative: itself, its list items, or its map values. */
function slotsOf(option: JsonSchema, root: JsonSchema): SelectorSlot[] {
  const element = selectorElement(option);
  if (element) return [{ element, kinds: kindNames(option), container: "single" }];
  const inner = (container: SelectorSlot["container"], schema: unknown): SelectorSlot[] =>
    alternatives(schema, root).flatMap((leaf) => {
      const leafElement = selectorElement(leaf);
      return leafElement ? [{ element: leafElement, kinds: kindNames(leaf), container }] : [];
    });
  if (option.type === "array") return inner("list", option.items);
  if (option.type === "object" && isObject(option.additionalProperties)) return inner("dict", option.additionalProperties);
  return [];
}

function isSelectorOnly(option: JsonSchema, root: JsonSchema): boolean {
  if (selectorElement(option)) return true;
  const leaves =
    option.type === "array"
      ? alternatives(option.items, root)
      : option.type === "object" && isObject(option.additionalProperties)
        ? alternatives(option.additionalProperties, root)
        : null;
  return leaves !== null && leaves.length > 0 && leaves.every((leaf) => selectorElement(leaf) !== null);
}

/** A schema bound worth showing: zod's integers carry ±MAX_SAFE_INTEGER, which say nothing. */
function bound(value: unknown): number | undefined {
  return typeof value === "number" && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined;
}

function literalOf(option: JsonSchema, root: JsonSchema): LiteralModel {
  if (Array.isArray(option.enum) && option.enum.every((value) => typeof value === "string")) return { type: "enum", options: option.enum };
  if (option.type === "number" || option.type === "integer") {
    const minimum = bound(option.minimum) ?? bound(option.exclusiveMinimum);
    const maximum = bound(option.maximum);
    return { type: "number", integer: option.type === "integer", ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) };
  }
  if (option.type === "boolean") return { type: "boolean" };
  if (option.type === "string" && option.const === undefined) return { type: "string" };
  if (option.type === "array") {
    const items = alternatives(option.items, root);
    if (items.length === 1 && items[0].type === "string" && !Array.isArray(items[0].enum)) return { type: "string-list" };
  }
  return { type: "json" };
}

/** One property of a block's step schema. */
export function propertyModel(name: string, schema: unknown, root: JsonSchema, required: boolean): PropertyModel {
  const resolved = resolve(schema, root);
  const options = alternatives(schema, root);
  const slots = options.flatMap((option) => slotsOf(option, root));
  const literalOptions = options.filter((option) => !isSelectorOnly(option, root));
  let literal: LiteralModel | null = null;
  if (literalOptions.length === 1) literal = literalOf(literalOptions[0], root);
  else if (literalOptions.length > 1) literal = { type: "json" };
  else if (options.length === 0) literal = { type: "json" };
  return {
    name,
    description: typeof resolved.description === "string" ? resolved.description : "",
    required,
    ...("default" in resolved ? { defaultValue: resolved.default } : {}),
    slots,
    literal,
  };
}

/** Every property of a step schema except `type` and `name`, in schema order. */
export function propertyModels(blockSchema: JsonSchema): PropertyModel[] {
  const properties = isObject(blockSchema.properties) ? blockSchema.properties : {};
  const required = new Set(Array.isArray(blockSchema.required) ? (blockSchema.required as string[]) : []);
  return Object.entries(properties)
    .filter(([name]) => name !== "type" && name !== "name")
    .map(([name, schema]) => propertyModel(name, schema, blockSchema, required.has(name)));
}

/** The kinds a data selector in this property may carry (union over its slots); null when it takes no data selector. */
export function acceptedKinds(property: PropertyModel): string[] | null {
  const data = property.slots.filter((slot) => slot.element === "data");
  if (data.length === 0) return null;
  return [...new Set(data.flatMap((slot) => slot.kinds))];
}

/**
 * What an empty field shows: the default in effect, as a placeholder (never as a value, so it is
 * not mistaken for one the user set). A null default is "not set"; the property's description
 * says what then applies (e.g. `false_alarm_rate`: 0.001 unless `minutes_per_false_alarm` is given).
 */
export function defaultPlaceholder(property: PropertyModel): string {
  if (property.defaultValue === undefined) return "";
  if (property.defaultValue === null) return "default: not set";
  return `default: ${JSON.stringify(property.defaultValue)}`;
}
