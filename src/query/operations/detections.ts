/**
 * Detection operations parse (definitions that use them load and compile) but sightline has no
 * detection models yet, so running one is an `OperationError` saying so.
 */
import { OperationError } from "../../errors/index.js";
import { evaluationContext } from "../failures.js";
import type { CompiledOperation, OperationBuildContext, OperationBuilders } from "./context.js";

type DetectionOperation =
  | "DetectionsPropertyExtract"
  | "ExtractDetectionProperty"
  | "DetectionsFilter"
  | "DetectionsSelection"
  | "SortDetections"
  | "DetectionsOffset"
  | "DetectionsShift"
  | "DetectionsRename"
  | "DetectionsToDictionary"
  | "PickDetectionsByParentClass";

const notSupported =
  (definition: { type: string }, { location }: OperationBuildContext): CompiledOperation =>
  () => {
    throw new OperationError(
      `Operation ${definition.type} at ${location} is not supported by sightline yet: it works on detections, and sightline has no detection models`,
      {
        context: evaluationContext(location),
      },
    );
  };

export const DETECTION_OPERATIONS: OperationBuilders<DetectionOperation> = {
  DetectionsPropertyExtract: notSupported,
  ExtractDetectionProperty: notSupported,
  DetectionsFilter: notSupported,
  DetectionsSelection: notSupported,
  SortDetections: notSupported,
  DetectionsOffset: notSupported,
  DetectionsShift: notSupported,
  DetectionsRename: notSupported,
  DetectionsToDictionary: notSupported,
  PickDetectionsByParentClass: notSupported,
};
