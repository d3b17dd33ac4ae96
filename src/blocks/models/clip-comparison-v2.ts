/**
 * `roboflow_core/clip_comparison@v2` (docs/reference/blocks.md#clip-comparison-v2): CLIP cosine
 * similarity of each image to each class name, with the most and least similar class and a
 * classification prediction. Ties go to the first class, as numpy's argmax/argmin. A batch is one
 * model call per tower.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, selector } from "../../block-api/index.js";
import { compareImagesToTexts, promptList } from "../../models/batch.js";
import { clipFamily, UPSTREAM_CLIP_VERSIONS } from "../../models/families/clip/index.js";
import { argmax, argmin } from "../../models/families/clip/similarity.js";
import { modelRuntime } from "../../models/runtime.js";

export const clipComparisonV2Block = defineBlock({
  manifest: {
    type: "roboflow_core/clip_comparison@v2",
    name: "CLIP Comparison",
    family: "models",
    description: "Classifies each image among class names with CLIP: similarities, most and least similar class.",
    properties: z.object({
      images: selector(["image"]).describe("The image to classify"),
      classes: literalOrSelector(z.array(z.string()).min(1), ["list_of_values"]).describe("Class names to compare the image with"),
      version: literalOrSelector(z.enum(UPSTREAM_CLIP_VERSIONS), ["string"])
        .default("ViT-B-16")
        .describe("CLIP variant; RN* variants need a model folder mapped to them"),
    }),
    propertyAliases: { image: "images" },
    outputs: [
      { name: "similarities", kinds: ["list_of_values"] },
      { name: "max_similarity", kinds: ["float_zero_to_one"] },
      { name: "most_similar_class", kinds: ["string"] },
      { name: "min_similarity", kinds: ["float_zero_to_one"] },
      { name: "least_similar_class", kinds: ["string"] },
      { name: "classification_predictions", kinds: ["classification_prediction"] },
      { name: "parent_id", kinds: ["parent_id"] },
      { name: "root_parent_id", kinds: ["parent_id"] },
    ],
  },
  async runBatch(inputs, contexts) {
    if (inputs.length === 0) return [];
    const items = inputs.map(({ images, classes, version }) => ({ image: images, texts: promptList(classes, "classes", 1), version }));
    const similarities = await compareImagesToTexts(contexts[0].services.get(modelRuntime), clipFamily.id, items);
    return items.map(({ image, texts: classes }, i) => {
      const scores = similarities[i];
      const top = argmax(scores);
      const bottom = argmin(scores);
      return {
        similarities: scores,
        max_similarity: scores[top],
        most_similar_class: classes[top],
        min_similarity: scores[bottom],
        least_similar_class: classes[bottom],
        classification_predictions: {
          predictions: classes.map((name, classId) => ({ class: name, class_id: classId, confidence: scores[classId] })),
          top: classes[top],
          confidence: scores[top],
          parent_id: image.parentId,
        },
        parent_id: image.parentId,
        root_parent_id: image.rootParentId,
      };
    });
  },
});
