/**
 * What `roboflow_core/bounding_box_visualization@v1` and `roboflow_core/label_visualization@v1`
 * share, as upstream's `ColorableVisualizationManifest` does (docs/reference/blocks.md#bounding-box-visualization):
 * the image and the detections to draw on it, `copy_image`, and how colours are picked.
 */
import { z } from "zod";
import { isDetections, literalOrSelector, selector, type Detections } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { isWorkflowImage, type WorkflowImage } from "../../images/index.js";
import { COLOR_AXES, COLOR_PALETTES, colourIndex, paletteColours, pickColour, type Rgb } from "./colours.js";

export const colourableVisualizationProperties = {
  image: selector(["image"]).describe("The image to draw on"),
  predictions: selector(["object_detection_prediction", "instance_segmentation_prediction", "keypoint_detection_prediction"]).describe(
    "Detections to draw, found on that image",
  ),
  copy_image: literalOrSelector(z.boolean(), ["boolean"])
    .default(true)
    .describe("Accepted for compatibility: sightline never changes its input image, so the output is always a new image"),
  color_palette: literalOrSelector(z.enum(COLOR_PALETTES), ["string"]).default("DEFAULT").describe("Colours to draw with"),
  palette_size: literalOrSelector(z.number().int().positive(), ["integer"])
    .default(10)
    .describe("Accepted for compatibility (sizes upstream's Matplotlib palettes)"),
  custom_colors: literalOrSelector(z.array(z.string()), ["list_of_values"]).default([]).describe("Colours (#RRGGBB, rgb(…), names) for color_palette CUSTOM"),
  color_axis: literalOrSelector(z.enum(COLOR_AXES), ["string"]).default("CLASS").describe("Colour by class id, by index, or by tracker id"),
};

export const VISUALIZATION_MANIFEST = {
  family: "visualizations",
  propertyAliases: { images: "image" },
  outputs: [{ name: "image", kinds: ["image"] }],
} as const;

/** A step's image and detections, checked: selectors may bring anything. */
export function checkedScene(image: unknown, predictions: unknown): { image: WorkflowImage; detections: Detections } {
  if (!isWorkflowImage(image)) throw new TypeError(`image must be an image, got ${describeValue(image)}`);
  if (!isDetections(predictions)) throw new TypeError(`predictions must be detections (object_detection_prediction), got ${describeValue(predictions)}`);
  return { image, detections: predictions };
}

/** Each detection's colour, in order, as the step's palette and axis pick it. */
export function detectionColours(detections: Detections, palette: unknown, customColours: unknown, axis: unknown): Rgb[] {
  const colours = paletteColours(palette, customColours);
  return detections.items.map((detection, index) => pickColour(colours, colourIndex(axis, index, detection.classId)));
}

/** A property a selector gave, checked to be a whole number in [min, ∞). */
export function wholeNumber(property: string, value: unknown, min: number): number {
  if (Number.isInteger(value) && (value as number) >= min) return value as number;
  throw new TypeError(`${property} must be an integer of at least ${min}, got ${describeValue(value)}`);
}
