/**
 * `roboflow_core/clip_comparison@v1` (alias `ClipComparison`,
 * docs/reference/blocks.md#clip-comparison-v1): cosine similarity of each image's CLIP embedding to
 * each text's, with the model upstream's server uses by default (`CLIP_VERSION_ID`, ViT-B-16; the
 * `comparisonVersion` model option). All images of a batch go through the model at once; each
 * distinct text is embedded once.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { compareImagesToTexts, promptList } from "../../models/batch.js";
import { clipFamily } from "../../models/families/clip/index.js";
import { modelRuntime } from "../../models/runtime.js";

export const clipComparisonBlock = defineBlock({
  manifest: {
    type: "roboflow_core/clip_comparison@v1",
    aliases: ["ClipComparison"],
    name: "CLIP Comparison",
    family: "models",
    description: "Compares each image with a list of texts using CLIP; gives one cosine similarity per text.",
    properties: z.object({
      images: selector(["image"]).describe("The image to compare"),
      texts: literalOrSelector(z.array(z.string()), ["list_of_values"]).describe("Texts to compare the image with"),
    }),
    propertyAliases: { image: "images", text: "texts" },
    outputs: [
      { name: "similarity", kinds: ["list_of_values"] },
      { name: "parent_id", kinds: ["parent_id"] },
      { name: "root_parent_id", kinds: ["parent_id"] },
      { name: "prediction_type", kinds: ["prediction_type"] },
    ],
  },
  async runBatch(inputs, contexts) {
    if (inputs.length === 0) return [];
    const runtime = contexts[0].services.get(modelRuntime);
    const version = runtime.options.comparisonVersion;
    const items = inputs.map(({ images, texts }) => ({ image: images, texts: promptList(texts, "texts"), version }));
    const similarities = await compareImagesToTexts(runtime, clipFamily.id, items);
    return inputs.map(({ images }, i) => ({
      similarity: similarities[i],
      parent_id: images.parentId,
      root_parent_id: images.rootParentId,
      prediction_type: "classification",
    }));
  },
});
