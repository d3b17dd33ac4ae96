/**
 * Cache Set (`roboflow_core/cache_set@v1`, docs/reference/blocks.md#cache-set): stores `value`
 * under `key` in the image's namespace and outputs it. Upstream deletes a namespace when the block
 * instance is garbage collected; here namespaces live as long as the engine and are part of its
 * snapshot.
 */
import { z } from "zod";
import { defineBlock, imageInputSelector, literalOrSelector, selector } from "../../block-api/index.js";
import { IN_PROCESS_CACHE_RESTRICTION } from "../restrictions.js";
import { cacheFor } from "./cache-namespace.js";

export const cacheSetBlock = defineBlock({
  manifest: {
    type: "roboflow_core/cache_set@v1",
    name: "Cache Set",
    family: "cache",
    description: "Stores a value in a cache entry for later retrieval with Cache Get.",
    properties: z.object({
      image: imageInputSelector(),
      key: literalOrSelector(z.string(), ["string"]),
      value: selector(["*", "list_of_values"]),
    }),
    outputs: [{ name: "output", kinds: ["*"] }],
    restrictions: [IN_PROCESS_CACHE_RESTRICTION],
  },
  run(inputs, ctx) {
    cacheFor(inputs.image, ctx)[inputs.key] = inputs.value;
    return { output: inputs.value };
  },
});
