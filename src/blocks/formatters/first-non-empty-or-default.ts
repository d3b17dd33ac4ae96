/** `roboflow_core/first_non_empty_or_default@v1`: the first input that is not null, else a default. */
import { z } from "zod";
import { defineBlock, selector } from "../../block-api/index.js";

export const firstNonEmptyOrDefaultBlock = defineBlock({
  manifest: {
    type: "roboflow_core/first_non_empty_or_default@v1",
    aliases: ["FirstNonEmptyOrDefault"],
    name: "First Non Empty Or Default",
    family: "formatters",
    description: "Takes the first value that is not empty (null, e.g. from a skipped step), or the default when all are empty.",
    properties: z.object({
      data: z.array(selector()).min(1).describe("References to the data, in order of preference"),
      default: z.unknown().default(null).describe("Value returned when every input is empty"),
    }),
    outputs: [{ name: "output", kinds: ["*"] }],
    acceptsEmptyValues: true,
  },
  run({ data, default: fallback }) {
    for (const value of data) {
      if (value !== null && value !== undefined) return { output: value };
    }
    return { output: fallback ?? null };
  },
});
