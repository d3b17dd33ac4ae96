/**
 * JSON Schema of a block's step, generated from its zod schema: the shape the server's
 * `/workflows/blocks/describe` answers and the editor builds its forms from. Selectors carry
 * upstream's markers (`reference`, `selected_element`, `kind`).
 */
import { z } from "zod";
import { kindObjects } from "../kinds/index.js";
import type { Block } from "./block.js";
import type { BlockDescription, JsonSchema } from "./description.js";
import { selectorMetadata, type SelectorRole } from "./selectors.js";

const SELECTED_ELEMENT: Record<SelectorRole, string> = {
  data: "any_data",
  step: "step",
  input: "workflow_image",
};

/** zod → JSON Schema for input documents, with selector markers. */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      const metadata = selectorMetadata.get(ctx.zodSchema);
      if (!metadata) return;
      ctx.jsonSchema.reference = true;
      ctx.jsonSchema.selected_element = SELECTED_ELEMENT[metadata.role];
      if (metadata.role !== "step") ctx.jsonSchema.kind = kindObjects(metadata.kinds);
    },
  });
}

/** The full step schema: `type` (id or alias), `name`, and the block's properties. */
export function blockStepSchema(block: Block): JsonSchema {
  const { manifest } = block;
  const properties = toJsonSchema(manifest.properties);
  delete properties.$schema;
  const ownProperties = (properties.properties ?? {}) as Record<string, JsonSchema>;
  const required = (properties.required ?? []) as string[];
  return {
    ...properties,
    title: manifest.name,
    description: manifest.description,
    type: "object",
    properties: {
      type: { type: "string", enum: [manifest.type, ...(manifest.aliases ?? [])] },
      name: { type: "string", description: "Unique name of the step in the workflow" },
      ...ownProperties,
    },
    required: ["type", "name", ...required],
  };
}

export const DEFAULT_BLOCK_COMPATIBILITY = ">=1.3.0,<2.0.0";

export function describeBlock(block: Block, source = "sightline"): BlockDescription {
  const { manifest } = block;
  return {
    block_schema: blockStepSchema(block),
    outputs_manifest: manifest.outputs.map((output) => ({ name: output.name, kind: kindObjects(output.kinds) })),
    block_source: source,
    fully_qualified_block_class_name: `${source}.${manifest.family}.${manifest.type}`,
    human_friendly_block_name: manifest.name,
    manifest_type_identifier: manifest.type,
    manifest_type_identifier_aliases: [...(manifest.aliases ?? [])],
    execution_engine_compatibility: manifest.compatibility ?? DEFAULT_BLOCK_COMPATIBILITY,
    input_dimensionality_offsets: {},
    dimensionality_reference_property: null,
    output_dimensionality_offset: manifest.increasesDimensionality ? 1 : 0,
    block_family: manifest.family,
    flow_control: manifest.flowControl ?? false,
    stateful: block.state !== undefined,
    accepts_empty_values: manifest.acceptsEmptyValues ?? false,
    restrictions: [...(manifest.restrictions ?? [])],
  };
}
