/**
 * `roboflow_core/clip@v1` (docs/reference/blocks.md#clip-embedding-model): the CLIP embedding of an
 * image, or of a text when `data` is a string — raw, un-normalised projections, like upstream. A
 * batch of steps is one model call per tower; text embeddings come from the runtime's LRU cache
 * when they can.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { isWorkflowImage } from "../../images/index.js";
import { embedItems } from "../../models/batch.js";
import { clipFamily, UPSTREAM_CLIP_VERSIONS } from "../../models/families/clip/index.js";
import { modelRuntime } from "../../models/runtime.js";

export const clipBlock = defineBlock({
  manifest: {
    type: "roboflow_core/clip@v1",
    name: "CLIP Embedding Model",
    family: "models",
    description: "Embeds an image, or a text, with OpenAI's CLIP: a vector to compare with cosine similarity.",
    properties: z.object({
      data: literalOrSelector(z.string(), ["image", "string"]).describe("The image or the text to embed"),
      version: literalOrSelector(z.enum(UPSTREAM_CLIP_VERSIONS), ["string"])
        .default("ViT-B-32")
        .describe("CLIP variant; RN* variants need a model folder mapped to them"),
    }),
    outputs: [{ name: "embedding", kinds: ["embedding"] }],
  },
  warm(inputs, services) {
    const runtime = services.get(modelRuntime);
    for (const { data, version } of inputs)
      if (isWorkflowImage(data) && typeof version === "string") runtime.warmImages([data], { family: clipFamily.id, version });
  },
  async runBatch(inputs, contexts) {
    if (inputs.length === 0) return [];
    const items = inputs.map(({ data, version }, i) => {
      if (typeof data !== "string" && !isWorkflowImage(data)) {
        throw new TypeError(`data${inputs.length > 1 ? ` (batch element ${i})` : ""} must be an image or a string, got ${describeValue(data)}`);
      }
      return { data, version };
    });
    const embeddings = await embedItems(contexts[0].services.get(modelRuntime), clipFamily.id, items);
    return embeddings.map((embedding) => ({ embedding }));
  },
});
