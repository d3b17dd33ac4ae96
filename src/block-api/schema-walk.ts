/**
 * Walking block schemas. `schemaNode` is the one place that looks inside a zod schema (zod keeps
 * a schema's structure in `_zod.def`, outside its documented API, so a zod upgrade that moves it
 * is mended here alone); the walks below, and the describe routes' (`src/describe`), go through it.
 */
import { z } from "zod";
import { isJsonObject } from "../definition/json.js";
import { isSelector } from "../definition/selectors.js";
import { selectorMetadata, type SelectorMetadata } from "./selectors.js";

/** Schemas that stand for another (`inner`), accepting the same values give or take absence or null. */
export type Wrapper = "optional" | "nullable" | "default" | "prefault" | "readonly" | "catch" | "nonoptional" | "pipe" | "lazy";

/** A schema as the walks see it: a selector declared with the builders, or what it is built of. */
export type SchemaNode =
  | { kind: "selector"; metadata: SelectorMetadata }
  /** A pipe stands for its output schema, a lazy schema for its target. */
  | { kind: "wrapper"; wrapper: Wrapper; inner: z.ZodType }
  | { kind: "union"; options: readonly z.ZodType[] }
  | { kind: "array"; element: z.ZodType }
  | { kind: "record"; value: z.ZodType }
  | { kind: "object"; shape: Readonly<Record<string, z.ZodType>> }
  | { kind: "other" };

export function schemaNode(schema: z.ZodType): SchemaNode {
  const metadata = selectorMetadata.get(schema);
  if (metadata) return { kind: "selector", metadata };
  // Block schemas are built with zod's classic API, so the schemas inside are classic ones too.
  const def = (schema as unknown as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return { kind: "wrapper", wrapper: def.type, inner: def.innerType as z.ZodType };
    case "pipe":
      return { kind: "wrapper", wrapper: def.type, inner: def.out as z.ZodType };
    case "lazy":
      return { kind: "wrapper", wrapper: def.type, inner: def.getter() as z.ZodType };
    case "union":
      return { kind: "union", options: def.options as readonly z.ZodType[] };
    case "array":
      return { kind: "array", element: def.element as z.ZodType };
    case "record":
      return { kind: "record", value: def.valueType as z.ZodType };
    case "object":
      return { kind: "object", shape: def.shape as Readonly<Record<string, z.ZodType>> };
    default:
      return { kind: "other" };
  }
}

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
  const node = schemaNode(schema);
  switch (node.kind) {
    case "selector":
      if (isSelector(value)) found.push({ path, selector: value, metadata: node.metadata });
      return;
    case "wrapper":
      walk(node.inner, value, path, found);
      return;
    case "union": {
      if (isSelector(value)) {
        const selectorOption = node.options.find((option) => containsSelectorLeaf(option));
        if (selectorOption) walk(selectorOption, value, path, found);
        return;
      }
      // A literal container may still hold selectors (e.g. a list of selectors); use the first
      // option that accepts the value.
      const match = node.options.find((option) => option.safeParse(value).success && containsSelectorLeaf(option));
      if (match) walk(match, value, path, found);
      return;
    }
    case "array":
      if (Array.isArray(value)) value.forEach((item, i) => walk(node.element, item, [...path, i], found));
      return;
    case "record":
      if (isJsonObject(value)) {
        for (const [key, item] of Object.entries(value)) walk(node.value, item, [...path, key], found);
      }
      return;
    case "object":
      if (isJsonObject(value)) {
        for (const [key, item] of Object.entries(value)) {
          if (node.shape[key]) walk(node.shape[key], item, [...path, key], found);
        }
      }
      return;
    case "other":
      return;
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
  const node = schemaNode(schema);
  switch (node.kind) {
    case "selector":
      return true;
    case "wrapper":
      return containsSelectorLeaf(node.inner);
    case "union":
      return node.options.some(containsSelectorLeaf);
    case "array":
      return containsSelectorLeaf(node.element);
    case "record":
      return containsSelectorLeaf(node.value);
    case "object":
      return Object.values(node.shape).some(containsSelectorLeaf);
    case "other":
      return false;
  }
}

/**
 * The same schema with every selector option removed: what a literal value given at run time
 * through a `WorkflowParameter` must satisfy (docs/reference/workflows.md#parameters). `null` when
 * the property takes selectors only.
 */
export function literalPart(schema: z.ZodType): z.ZodType | null {
  const node = schemaNode(schema);
  switch (node.kind) {
    case "selector":
      return null;
    case "wrapper":
      if (node.wrapper === "optional" || node.wrapper === "default" || node.wrapper === "prefault") return literalPart(node.inner)?.optional() ?? null;
      if (node.wrapper === "nullable") return literalPart(node.inner)?.nullable() ?? null;
      return schema;
    case "union": {
      const options = node.options.map(literalPart).filter((o): o is z.ZodType => o !== null);
      if (options.length === 0) return null;
      return options.length === 1 ? options[0] : z.union(options as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    }
    default:
      return schema;
  }
}
