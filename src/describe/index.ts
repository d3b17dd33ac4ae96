/**
 * Descriptions generated from the registry — the JSON Schema of a whole definition
 * (`sightline schema`, `GET /workflows/definition/schema`) and the block catalogue
 * (`sightline blocks --json`, `/workflows/blocks/describe`, the editor). Nothing here is written
 * by hand per block: it all comes from the blocks' zod schemas.
 */
import { z } from "zod";
import type { Block, BlockRegistry } from "../block-api/index.js";
import { describeBlock, toJsonSchema } from "../block-api/describe.js";
import type { JsonSchema } from "../block-api/description.js";
import { schemaNode } from "../block-api/schema-walk.js";
import type { SelectorMetadata } from "../block-api/selectors.js";
import { DynamicBlockDefinitionSchema, InputSchema, OutputSchema } from "../definition/index.js";
import { KINDS } from "../kinds/index.js";
import { describeQueryLanguage } from "../query/index.js";
import type { BlocksDescription, KindConnection } from "./description.js";

export type { BlocksDescription, KindConnection } from "./description.js";

/** JSON Schema of a workflow definition whose steps are the registry's blocks. */
export function definitionSchema(registry: BlockRegistry): JsonSchema {
  const blocks = registry.list();
  const defs: Record<string, JsonSchema> = {};
  for (const block of blocks) defs[definitionKey(block)] = stripSchemaKey(describeBlock(block).block_schema);
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "WorkflowSpecificationV1",
    type: "object",
    $defs: defs,
    properties: {
      version: { type: "string", description: 'Execution engine version, e.g. "1.0"' },
      inputs: { type: "array", items: stripSchemaKey(toJsonSchema(InputSchema)) },
      steps: { type: "array", items: { anyOf: blocks.map((block) => ({ $ref: `#/$defs/${definitionKey(block)}` })) } },
      outputs: { type: "array", items: stripSchemaKey(toJsonSchema(OutputSchema)) },
      dynamic_blocks_definitions: { type: "array", items: stripSchemaKey(toJsonSchema(DynamicBlockDefinitionSchema)) },
    },
    required: ["version", "inputs", "steps", "outputs"],
  };
}

function definitionKey(block: Block): string {
  return block.manifest.type.replace(/[^A-Za-z0-9_]+/g, "_");
}

function stripSchemaKey(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/** Where selectors of which kinds may be plugged into which block properties. */
function kindConnections(block: Block, into: Record<string, KindConnection[]>): void {
  const shape = block.manifest.properties.shape as Record<string, z.ZodType>;
  for (const [property, schema] of Object.entries(shape)) {
    for (const { metadata, container } of selectorLeaves(schema)) {
      if (metadata.role === "step") continue;
      for (const kind of metadata.kinds) {
        (into[kind] ??= []).push({
          manifest_type_identifier: block.manifest.type,
          property_name: property,
          property_description: schema.description ?? "",
          compatible_element: metadata.role === "input" ? "workflow_image" : "any_data",
          is_list_element: container === "list",
          is_dict_element: container === "dict",
        });
      }
    }
  }
}

type Leaf = { metadata: SelectorMetadata; container: "none" | "list" | "dict" };

/** The selectors a property may hold, each as a value, a list item or a map value (selectors inside objects are not listed). */
function selectorLeaves(schema: z.ZodType, container: Leaf["container"] = "none"): Leaf[] {
  const node = schemaNode(schema);
  switch (node.kind) {
    case "selector":
      return [{ metadata: node.metadata, container }];
    case "wrapper":
      return selectorLeaves(node.inner, container);
    case "union":
      return node.options.flatMap((option) => selectorLeaves(option, container));
    case "array":
      return selectorLeaves(node.element, "list");
    case "record":
      return selectorLeaves(node.value, "dict");
    default:
      return [];
  }
}

export function describeBlocks(registry: BlockRegistry): BlocksDescription {
  const blocks = registry.list();
  const kinds_connections: Record<string, KindConnection[]> = {};
  for (const block of blocks) kindConnections(block, kinds_connections);
  const primitives_connections = blocks.flatMap((block) =>
    Object.entries(block.manifest.properties.shape as Record<string, z.ZodType>).map(([property, schema]) => ({
      manifest_type_identifier: block.manifest.type,
      property_name: property,
      property_description: schema.description ?? "",
      type_annotation: JSON.stringify(stripSchemaKey(toJsonSchema(schema))),
    })),
  );
  return {
    blocks: blocks.map((block) => describeBlock(block)),
    declared_kinds: [...KINDS],
    kinds_connections,
    primitives_connections,
    universal_query_language_description: describeQueryLanguage(),
    dynamic_block_definition_schema: stripSchemaKey(toJsonSchema(DynamicBlockDefinitionSchema)),
  };
}
