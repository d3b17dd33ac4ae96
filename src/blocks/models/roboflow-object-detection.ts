/**
 * `roboflow_core/roboflow_object_detection_model@v1` (aliases `RoboflowObjectDetectionModel`,
 * `ObjectDetectionModel`): declared so that definitions using Roboflow-hosted detectors parse,
 * validate and report reference errors exactly as upstream does; running one needs Roboflow's
 * hosted weights, which sightline does not have, so `run` says so.
 */
import { z } from "zod";
import { defineBlock, imageInputSelector, literalOrSelector, selector } from "../../block-api/index.js";

export const roboflowObjectDetectionModelBlock = defineBlock({
  manifest: {
    type: "roboflow_core/roboflow_object_detection_model@v1",
    aliases: ["RoboflowObjectDetectionModel", "ObjectDetectionModel"],
    name: "Object Detection Model (Roboflow-hosted)",
    family: "models",
    description: "Roboflow-hosted object detection model. Accepted in definitions for compatibility; sightline cannot run it.",
    properties: z.object({
      images: z.union([imageInputSelector(), selector(["image"])]),
      model_id: literalOrSelector(z.string(), ["roboflow_model_id", "string"]),
      class_agnostic_nms: literalOrSelector(z.boolean(), ["boolean"]).optional(),
      class_filter: literalOrSelector(z.array(z.string()), ["list_of_values"]).optional(),
      confidence: literalOrSelector(z.number().min(0).max(1), ["float_zero_to_one"]).optional(),
      iou_threshold: literalOrSelector(z.number().min(0).max(1), ["float_zero_to_one"]).optional(),
      max_detections: literalOrSelector(z.number().int().positive(), ["integer"]).optional(),
      max_candidates: literalOrSelector(z.number().int().positive(), ["integer"]).optional(),
      disable_active_learning: literalOrSelector(z.boolean(), ["boolean"]).optional(),
      active_learning_target_dataset: literalOrSelector(z.string(), ["roboflow_project"]).optional(),
    }),
    propertyAliases: { image: "images" },
    outputs: [
      { name: "inference_id", kinds: ["inference_id"] },
      { name: "predictions", kinds: ["object_detection_prediction"] },
    ],
    restrictions: ["Needs a Roboflow-hosted model: not runnable in sightline."],
  },
  run() {
    throw new Error(
      "roboflow_core/roboflow_object_detection_model@v1 needs a Roboflow-hosted model, which sightline cannot run. " +
        "Replace the step with a block sightline supports (see `sightline blocks`).",
    );
  },
});
