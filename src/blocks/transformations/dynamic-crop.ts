/**
 * `roboflow_core/dynamic_crop@v1` (aliases `DynamicCrop`, `Crop`; docs/reference/blocks.md#dynamic-crop):
 * one crop per detection, as a batch one level deeper (docs/architecture.md#dimensionality), so
 * the steps reading the crops run once per object. Each crop is named by its detection's id (the
 * `parent_id` of what is found on it) and knows where it sits in its parent and root images; its
 * `predictions` are that one detection, moved into the crop's pixels.
 */
import { z } from "zod";
import { DETECTION_KINDS, Detections, defineBlock, literalOrSelector, selector, type Detection } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { isWorkflowImage, type WorkflowImage } from "../../images/index.js";
import { roundHalfEven } from "../../maths/rounding.js";

interface CropOutputs {
  crops: WorkflowImage | null;
  predictions: Detections | null;
}

/** A box's pixels as upstream slices them (`xyxy.round().astype(int)`), kept inside the image. */
function cropRectangle(detection: Detection, image: WorkflowImage): { x1: number; y1: number; x2: number; y2: number } {
  const clamp = (value: number, size: number) => Math.min(Math.max(roundHalfEven(value), 0), size);
  const { box } = detection;
  return { x1: clamp(box.x1, image.width), y1: clamp(box.y1, image.height), x2: clamp(box.x2, image.width), y2: clamp(box.y2, image.height) };
}

/** One detection's crop, and the detection in the crop's pixels; both null for an empty box, as upstream. */
function cropOne(image: WorkflowImage, predictions: Detections, detection: Detection): CropOutputs {
  const { x1, y1, x2, y2 } = cropRectangle(detection, image);
  if (x2 <= x1 || y2 <= y1) return { crops: null, predictions: null };
  const { box } = detection;
  const moved: Detection = { ...detection, box: { x1: box.x1 - x1, y1: box.y1 - y1, x2: box.x2 - x1, y2: box.y2 - y1 } };
  return { crops: image.crop(x1, y1, x2, y2, detection.detectionId), predictions: predictions.with([moved]) };
}

export const dynamicCropBlock = defineBlock({
  manifest: {
    type: "roboflow_core/dynamic_crop@v1",
    aliases: ["DynamicCrop", "Crop"],
    name: "Dynamic Crop",
    family: "transformations",
    description: "Crops each detected object out of its image; the crops are a batch one level deeper, so later steps run once per object.",
    properties: z.object({
      images: selector(["image"]).describe("Images to crop"),
      predictions: selector(DETECTION_KINDS).describe("Detections whose boxes are cropped"),
      mask_opacity: literalOrSelector(z.number().min(0).max(1), ["float_zero_to_one"])
        .default(0)
        .describe("Background removal for instance segmentation masks; accepted, unused (sightline has no segmentation)"),
      background_color: literalOrSelector(z.union([z.string(), z.tuple([z.number().int(), z.number().int(), z.number().int()])]), ["string", "rgb_color"])
        .default([0, 0, 0])
        .describe("Background colour for instance segmentation masks; accepted, unused"),
    }),
    propertyAliases: { image: "images", detections: "predictions" },
    outputs: [
      { name: "crops", kinds: ["image"] },
      { name: "predictions", kinds: DETECTION_KINDS },
    ],
    increasesDimensionality: true,
  },
  run({ images, predictions }) {
    if (!isWorkflowImage(images)) throw new TypeError(`images must be an image, got ${describeValue(images)}`);
    if (!(predictions instanceof Detections)) throw new TypeError(`predictions must be detections, got ${describeValue(predictions)}`);
    return predictions.items.map((detection) => cropOne(images, predictions, detection));
  },
});
