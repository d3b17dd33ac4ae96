/**
 * `roboflow_core/property_definition@v1` (aliases `PropertyDefinition`, `PropertyExtraction`):
 * operations applied to one value (docs/reference/blocks.md#property-definition).
 */
import { z } from "zod";
import { defineBlock, selector } from "../../block-api/index.js";
import { OperationsChainSchema, applyOperations } from "../../query/index.js";

export const propertyDefinitionBlock = defineBlock({
  manifest: {
    type: "roboflow_core/property_definition@v1",
    aliases: ["PropertyDefinition", "PropertyExtraction"],
    name: "Property Definition",
    family: "formatters",
    description: "Applies a chain of operations to a value (e.g. extract a property of an image).",
    properties: z.object({
      data: selector().describe("The value to operate on"),
      operations: OperationsChainSchema.describe("Operations, applied left to right"),
    }),
    outputs: [{ name: "output", kinds: ["*"] }],
  },
  run({ data, operations }) {
    return { output: applyOperations(data, operations) };
  },
});
