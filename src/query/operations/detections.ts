/**
 * Detection operations parse (definitions that use them load and compile), but sightline has no
 * detection models yet, so no value reaching one is detections: running one is upstream's
 * answer to a value that is not, an `InvalidInputTypeError`, saying why.
 */
import { pyTypeError } from "../python/errors.js";
import { pythonTypeName } from "../python/types.js";
import type { CompiledOperation, OperationBuilders } from "./context.js";

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

const expecting = (what: string, noun: string) => (): CompiledOperation => (value) => {
  throw pyTypeError(`expected ${what}, got ${pythonTypeName(value)}; sightline has no detection models, so no value can be ${noun}`);
};

const detections = expecting("detections (sv.Detections)", "detections");

export const DETECTION_OPERATIONS: OperationBuilders<DetectionOperation> = {
  DetectionsPropertyExtract: detections,
  ExtractDetectionProperty: expecting("a detection", "a detection"),
  DetectionsFilter: detections,
  DetectionsSelection: detections,
  SortDetections: detections,
  DetectionsOffset: detections,
  DetectionsShift: detections,
  DetectionsRename: detections,
  DetectionsToDictionary: detections,
  PickDetectionsByParentClass: detections,
};
