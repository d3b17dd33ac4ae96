/**
 * What `roboflow_core/roboflow_object_detection_model` v1, v2 and v3 share
 * (docs/reference/blocks.md#object-detection-model): their common properties, and the run — the
 * model id mapped to a local detector folder, one inference per model for every image of a batch
 * (or the images warmed ahead), boxes made with upstream's parameters, then upstream's class
 * filter.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { imageInputSelector, literalOrSelector, selector, type Detections, type StepContext } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { isWorkflowImage, type WorkflowImage } from "../../images/index.js";
import type { DetectionParameters } from "../../models/detection/layouts.js";
import { modelRuntime, type ModelRuntime } from "../../models/runtime.js";

/** Upstream's defaults (`inference/core/models/defaults.py` and the manifests). */
export const DEFAULT_CONFIDENCE = 0.4;

/** The properties every version has, with upstream's defaults. */
export const commonDetectionProperties = {
  images: z.union([imageInputSelector(), selector(["image"])]),
  model_id: literalOrSelector(z.string(), ["roboflow_model_id", "string"]).describe(
    "Roboflow model id (e.g. my-project/3), mapped to a local ONNX export with --model",
  ),
  class_filter: literalOrSelector(z.array(z.string()).nullable(), ["list_of_values"]).default(null).describe("Classes to keep; all when empty"),
  iou_threshold: literalOrSelector(z.number().min(0).max(1), ["float_zero_to_one"])
    .default(0.3)
    .describe("Overlap above which NMS drops the less confident box"),
  max_detections: literalOrSelector(z.number().int().positive(), ["integer"]).default(300).describe("Most detections returned per image"),
  class_agnostic_nms: literalOrSelector(z.boolean().nullable(), ["boolean"]).default(false).describe("NMS across classes instead of per class"),
  max_candidates: literalOrSelector(z.number().int().positive(), ["integer"]).default(3000).describe("Most candidates entering NMS"),
  disable_active_learning: literalOrSelector(z.boolean(), ["boolean"]).default(true).describe("Accepted for compatibility; sightline does no active learning"),
  active_learning_target_dataset: literalOrSelector(z.string().nullable(), ["roboflow_project"]).default(null).describe("Accepted for compatibility; unused"),
};

/** v1's and v2's threshold: one number. */
export const confidenceProperty = literalOrSelector(z.number().min(0).max(1), ["float_zero_to_one"])
  .default(DEFAULT_CONFIDENCE)
  .describe("Lowest confidence kept");

/** What the three versions' manifests say alike. */
export const DETECTION_MANIFEST = {
  name: "Object Detection Model",
  family: "models",
  description: "Finds objects with bounding boxes, with a YOLO or RF-DETR ONNX export mapped to the model id.",
  propertyAliases: { image: "images" },
} as const;

/** A step's resolved inputs, whatever the version: `confidence` already decided. */
export interface DetectionStepInputs {
  images: unknown;
  model_id: unknown;
  confidence: unknown;
  class_filter: unknown;
  iou_threshold: unknown;
  max_detections: unknown;
  class_agnostic_nms: unknown;
  max_candidates: unknown;
}

export interface DetectionStepResult {
  inference_id: string;
  predictions: Detections;
  model_id: string;
}

/** Starts inference on images a step will get (the next video frames). */
export function warmDetections(inputs: readonly { images: unknown; model_id: unknown }[], runtime: ModelRuntime): void {
  for (const { images, model_id } of inputs) if (isWorkflowImage(images) && typeof model_id === "string") runtime.warmDetections([images], model_id);
}

/** Every element's detections: the images of one model go to inference together, under one inference id. */
export async function detectBatch(inputs: readonly DetectionStepInputs[], contexts: readonly StepContext<unknown>[]): Promise<DetectionStepResult[]> {
  if (inputs.length === 0) return [];
  const runtime = contexts[0].services.get(modelRuntime);
  const elements = inputs.map((input, i) => checkedElement(input, inputs.length > 1 ? ` (batch element ${i})` : ""));
  const results: DetectionStepResult[] = new Array<DetectionStepResult>(elements.length);
  for (const modelId of new Set(elements.map((element) => element.modelId))) {
    const indices = elements.flatMap((element, i) => (element.modelId === modelId ? [i] : []));
    const detector = runtime.detector(modelId);
    const raw = await runtime.detect(
      indices.map((i) => elements[i].image),
      modelId,
    );
    const inferenceId = randomUUID();
    for (const [k, i] of indices.entries()) {
      const { image, parameters, classFilter } = elements[i];
      const found = await detector.detections(raw[k], image, parameters, inferenceId);
      const predictions = classFilter.length > 0 ? found.filter((detection) => classFilter.includes(detection.className)) : found;
      results[i] = { inference_id: inferenceId, predictions, model_id: modelId };
    }
  }
  return results;
}

interface Element {
  image: WorkflowImage;
  modelId: string;
  parameters: DetectionParameters;
  classFilter: readonly string[];
}

/** Values from selectors are checked here: the schema checked only literals. */
function checkedElement(input: DetectionStepInputs, where: string): Element {
  const fail = (property: string, expected: string, value: unknown): never => {
    throw new TypeError(`${property}${where} must be ${expected}, got ${describeValue(value)}`);
  };
  const fraction = (property: string, value: unknown): number =>
    typeof value === "number" && value >= 0 && value <= 1 ? value : fail(property, "a number from 0 to 1", value);
  const positive = (property: string, value: unknown): number =>
    Number.isInteger(value) && (value as number) > 0 ? (value as number) : fail(property, "a positive integer", value);
  const { images, model_id: modelId, class_filter: classFilter } = input;
  if (!isWorkflowImage(images)) fail("images", "an image", images);
  if (typeof modelId !== "string" || modelId.length === 0) fail("model_id", "a model id", modelId);
  if (classFilter !== null && classFilter !== undefined && !(Array.isArray(classFilter) && classFilter.every((name) => typeof name === "string"))) {
    fail("class_filter", "a list of class names", classFilter);
  }
  return {
    image: images as WorkflowImage,
    modelId: modelId as string,
    parameters: {
      confidence: fraction("confidence", input.confidence),
      iouThreshold: fraction("iou_threshold", input.iou_threshold),
      classAgnostic: input.class_agnostic_nms === true,
      maxDetections: positive("max_detections", input.max_detections),
      maxCandidates: positive("max_candidates", input.max_candidates),
    },
    classFilter: (classFilter as string[] | null | undefined) ?? [],
  };
}
