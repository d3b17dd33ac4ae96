/**
 * `roboflow_core/roboflow_object_detection_model@v1` (aliases `RoboflowObjectDetectionModel`,
 * `ObjectDetectionModel`; docs/reference/blocks.md#object-detection-model): a detector run from a
 * local ONNX export the `model_id` is mapped to. Its `inference_id` output is of kind `string`, as
 * upstream's v1 declares it.
 */
import { z } from "zod";
import { defineBlock } from "../../block-api/index.js";
import { modelRuntime } from "../../models/runtime.js";
import { commonDetectionProperties, confidenceProperty, DETECTION_MANIFEST, detectBatch, warmDetections } from "./roboflow-object-detection-model.js";

export const roboflowObjectDetectionModelBlock = defineBlock({
  manifest: {
    type: "roboflow_core/roboflow_object_detection_model@v1",
    aliases: ["RoboflowObjectDetectionModel", "ObjectDetectionModel"],
    ...DETECTION_MANIFEST,
    properties: z.object({
      ...commonDetectionProperties,
      confidence: confidenceProperty,
    }),
    outputs: [
      { name: "inference_id", kinds: ["string"] },
      { name: "predictions", kinds: ["object_detection_prediction"] },
    ],
  },
  warm(inputs, services) {
    warmDetections(inputs, services.get(modelRuntime));
  },
  async runBatch(inputs, contexts) {
    const results = await detectBatch(inputs, contexts);
    return results.map(({ inference_id, predictions }) => ({ inference_id, predictions }));
  },
});
