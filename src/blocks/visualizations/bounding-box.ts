/**
 * `roboflow_core/bounding_box_visualization@v1` (alias `BoundingBoxVisualization`;
 * docs/reference/blocks.md#bounding-box-visualization): each detection's box outlined in its
 * colour, `thickness` pixels wide, corners rounded by `roundness` as supervision's
 * `RoundBoxAnnotator` rounds them.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, type Box } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { checkedScene, colourableVisualizationProperties, detectionColours, VISUALIZATION_MANIFEST, wholeNumber } from "./detection-visualization.js";
import { drawOn, outlineSvg } from "./overlay.js";

/** supervision's corner radius: `roundness` of half the box's shorter side. */
export function cornerRadius(box: Box, roundness: number): number {
  return Math.floor((Math.min(box.x2 - box.x1, box.y2 - box.y1) / 2) * roundness);
}

export const boundingBoxVisualizationBlock = defineBlock({
  manifest: {
    type: "roboflow_core/bounding_box_visualization@v1",
    aliases: ["BoundingBoxVisualization"],
    name: "Bounding Box Visualization",
    description: "Draws a box around each detected object.",
    ...VISUALIZATION_MANIFEST,
    properties: z.object({
      ...colourableVisualizationProperties,
      thickness: literalOrSelector(z.number().int().positive(), ["integer"]).default(2).describe("Width of the box's edges, pixels"),
      roundness: literalOrSelector(z.number().min(0).max(1), ["float_zero_to_one"]).default(0).describe("0 square corners … 1 fully rounded"),
    }),
  },
  async run({ image, predictions, color_palette, custom_colors, color_axis, thickness, roundness }) {
    const scene = checkedScene(image, predictions);
    const width = wholeNumber("thickness", thickness, 1);
    if (typeof roundness !== "number" || !(roundness >= 0 && roundness <= 1))
      throw new TypeError(`roundness must be a number from 0 to 1, got ${describeValue(roundness)}`);
    const colours = detectionColours(scene.detections, color_palette, custom_colors, color_axis);
    const shapes = scene.detections.items.map((detection, i) => outlineSvg(detection.box, colours[i], width, cornerRadius(detection.box, roundness)));
    return { image: await drawOn(scene.image, shapes) };
  },
});
