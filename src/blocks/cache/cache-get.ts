/**
 * Cache Get (`roboflow_core/cache_get@v1`, docs/reference/blocks.md#cache-get): the value Cache Set
 * stored under `key` in the image's namespace, or `false` when there is none (upstream's
 * `dict.get(key, False)`). Reads and writes are ordered only by the graph: a get that does not
 * depend on the set may run before it in the same run.
 */
import { z } from "zod";
import { defineBlock, imageInputSelector, literalOrSelector } from "../../block-api/index.js";
import { IN_PROCESS_CACHE_RESTRICTION } from "../restrictions.js";
import { cacheFor } from "./cache-namespace.js";

export const cacheGetBlock = defineBlock({
  manifest: {
    type: "roboflow_core/cache_get@v1",
    name: "Cache Get",
    family: "cache",
    description: "Fetches a previously stored value from a cache entry (false when absent).",
    properties: z.object({
      image: imageInputSelector(),
      key: literalOrSelector(z.string(), ["string"]),
    }),
    outputs: [{ name: "output", kinds: ["*"] }],
    restrictions: [IN_PROCESS_CACHE_RESTRICTION],
  },
  run(inputs, ctx) {
    const cache = cacheFor(inputs.image, ctx);
    return { output: Object.hasOwn(cache, inputs.key) ? cache[inputs.key] : false };
  },
});
