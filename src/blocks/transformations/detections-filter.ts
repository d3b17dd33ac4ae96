/**
 * `roboflow_core/detections_filter@v1` (alias `DetectionsFilter`; docs/reference/blocks.md#detections-filter):
 * detections through a chain of query-language operations — typically one `DetectionsFilter`
 * keeping the detections a condition holds for — with `operations_parameters` as the chain's
 * named values.
 */
import { z } from "zod";
import { DETECTION_KINDS, defineBlock, selector } from "../../block-api/index.js";
import { OperationsChainSchema, applyOperations } from "../../query/index.js";

export const detectionsFilterBlock = defineBlock({
  manifest: {
    type: "roboflow_core/detections_filter@v1",
    aliases: ["DetectionsFilter"],
    name: "Detections Filter",
    family: "transformations",
    description: "Keeps the detections a condition holds for (a chain of query-language operations on detections).",
    properties: z.object({
      predictions: selector(DETECTION_KINDS).describe("Detections to filter"),
      operations: OperationsChainSchema.describe("Operations on the detections, e.g. one DetectionsFilter"),
      operations_parameters: z.record(z.string(), selector()).default({}).describe("Named values the operations read (selectors only)"),
    }),
    outputs: [{ name: "predictions", kinds: DETECTION_KINDS }],
  },
  run({ predictions, operations, operations_parameters }) {
    return { predictions: applyOperations(predictions, operations, operations_parameters) };
  },
});
