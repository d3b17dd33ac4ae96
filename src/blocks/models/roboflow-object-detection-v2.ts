/**
 * `roboflow_core/roboflow_object_detection_model@v2` (docs/reference/blocks.md#object-detection-model):
 * v1 with an `inference_id` of kind `inference_id` and the `model_id` as an output.
 */
import { z } from "zod";
import { defineBlock } from "../../block-api/index.js";
import { modelRuntime } from "../../models/runtime.js";
import { commonDetectionProperties, confidenceProperty, DETECTION_MANIFEST, detectBatch, warmDetections } from "./roboflow-object-detection-model.js";

export const DETECTION_OUTPUTS = [
  { name: "inference_id", kinds: ["inference_id"] },
  { name: "predictions", kinds: ["object_detection_prediction"] },
  { name: "model_id", kinds: ["roboflow_model_id"] },
] as const;

export const roboflowObjectDetectionModelV2Block = defineBlock({
  manifest: {
    type: "roboflow_core/roboflow_object_detection_model@v2",
    ...DETECTION_MANIFEST,
    properties: z.object({
      ...commonDetectionProperties,
      confidence: confidenceProperty,
    }),
    outputs: DETECTION_OUTPUTS,
  },
  warm(inputs, services) {
    warmDetections(inputs, services.get(modelRuntime));
  },
  runBatch: detectBatch,
});
