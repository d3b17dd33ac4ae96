/**
 * `roboflow_core/roboflow_object_detection_model@v3` (docs/reference/blocks.md#object-detection-model):
 * v2 whose threshold is chosen by `confidence_mode`. `best` (upstream: the F1-optimal thresholds
 * of Roboflow's model evaluation) and `default` (the model's own) both mean upstream's default
 * threshold here: a local export carries no evaluation; `custom` takes `custom_confidence`.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { modelRuntime } from "../../models/runtime.js";
import { commonDetectionProperties, DEFAULT_CONFIDENCE, DETECTION_MANIFEST, detectBatch, warmDetections } from "./roboflow-object-detection-model.js";
import { DETECTION_OUTPUTS } from "./roboflow-object-detection-v2.js";

const CONFIDENCE_MODES = ["best", "default", "custom"] as const;

/** The threshold a step's `confidence_mode` and `custom_confidence` give. */
function confidenceOf(mode: unknown, custom: unknown): unknown {
  if (mode === "custom") return custom;
  if (mode === "best" || mode === "default") return DEFAULT_CONFIDENCE;
  throw new TypeError(`confidence_mode must be one of ${CONFIDENCE_MODES.join(", ")}, got ${describeValue(mode)}`);
}

export const roboflowObjectDetectionModelV3Block = defineBlock({
  manifest: {
    type: "roboflow_core/roboflow_object_detection_model@v3",
    ...DETECTION_MANIFEST,
    properties: z
      .object({
        ...commonDetectionProperties,
        confidence_mode: literalOrSelector(z.enum(CONFIDENCE_MODES), ["string"])
          .default("best")
          .describe("How the threshold is chosen: best and default use 0.4 for a local export, custom uses custom_confidence"),
        custom_confidence: literalOrSelector(z.number().min(0).max(1).nullable(), ["float_zero_to_one"])
          .default(0.4)
          .describe("Threshold when confidence_mode is custom"),
      })
      .refine((step) => step.confidence_mode !== "custom" || step.custom_confidence !== null, {
        message: "`custom_confidence` is required when `confidence_mode` is 'custom'",
        path: ["custom_confidence"],
      }),
    outputs: DETECTION_OUTPUTS,
  },
  warm(inputs, services) {
    warmDetections(inputs, services.get(modelRuntime));
  },
  runBatch(inputs, contexts) {
    return detectBatch(
      inputs.map((input) => ({ ...input, confidence: confidenceOf(input.confidence_mode, input.custom_confidence) })),
      contexts,
    );
  },
});
