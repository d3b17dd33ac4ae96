/**
 * `roboflow_core/label_visualization@v1` (alias `LabelVisualization`;
 * docs/reference/blocks.md#label-visualization): a label per detection — its class, confidence,
 * index, size or area — on a background of the detection's colour, placed at `text_position` of
 * its box as supervision's `LabelAnnotator` places it. Text is measured as OpenCV's Hershey
 * Simplex font at `text_scale` would be, so label sizes follow upstream's; the glyphs are the
 * machine's sans-serif font.
 */
import { z } from "zod";
import { defineBlock, literalOrSelector, type Box, type Detection, type Detections } from "../../block-api/index.js";
import { describeValue } from "../../errors/index.js";
import { parseColour } from "./colours.js";
import { checkedScene, colourableVisualizationProperties, detectionColours, VISUALIZATION_MANIFEST, wholeNumber } from "./detection-visualization.js";
import { drawOn, filledRectSvg, textSvg } from "./overlay.js";

export const LABEL_TEXTS = [
  "Class",
  "Confidence",
  "Class and Confidence",
  "Index",
  "Dimensions",
  "Area",
  "Area (mask)",
  "Area (converted)",
  "Tracker Id",
  "Time In Zone",
] as const;

export const TEXT_POSITIONS = [
  "CENTER",
  "CENTER_LEFT",
  "CENTER_RIGHT",
  "TOP_CENTER",
  "TOP_LEFT",
  "TOP_RIGHT",
  "BOTTOM_LEFT",
  "BOTTOM_CENTER",
  "BOTTOM_RIGHT",
  "CENTER_OF_MASS",
] as const;
type TextPosition = (typeof TEXT_POSITIONS)[number];

/** Each detection's label for `text`, as upstream's `build_detection_labels` writes it. */
export function labelTexts(detections: Detections, text: unknown): string[] {
  const each = (label: (detection: Detection, index: number) => string): string[] => detections.items.map(label);
  switch (text) {
    case "Class":
      return each((detection) => detection.className);
    case "Confidence":
      return each((detection) => detection.confidence.toFixed(2));
    case "Class and Confidence":
      return each((detection) => `${detection.className} ${detection.confidence.toFixed(2)}`);
    case "Index":
      return each((_, index) => String(index));
    case "Dimensions":
      return each(({ box }) => {
        const [width, height] = [box.x2 - box.x1, box.y2 - box.y1];
        return `${Math.trunc(box.x1 + width / 2)}, ${Math.trunc(box.y1 + height / 2)} ${Math.trunc(width)}x${Math.trunc(height)}`;
      });
    case "Area":
      return each(({ box }) => String(Math.trunc((box.x2 - box.x1) * (box.y2 - box.y1))));
    // what upstream writes when the detections carry no such data, as sightline's never do
    case "Area (mask)":
      return each(() => "Area (mask): N/A");
    case "Area (converted)":
      return each(() => "Area (conv): N/A");
    case "Tracker Id":
      return each(() => "No Tracker ID");
    case "Time In Zone":
      return each(() => "In zone: N/A");
    default:
      throw new TypeError(`text must be one of ${LABEL_TEXTS.join(", ")}, got ${describeValue(text)}`);
  }
}

/** Hershey Simplex at scale 1: capital height and mean advance, pixels (OpenCV's getTextSize). */
const HERSHEY_HEIGHT = 22;
const HERSHEY_ADVANCE = 18;
/** Cap height of a sans-serif font, in ems: the font size that gives Hershey's height. */
const CAP_HEIGHT_EM = 0.73;

export interface LabelLayout {
  /** The background's corners. */
  background: Box;
  /** Where the text's baseline starts, and its width. */
  textX: number;
  textY: number;
  textWidth: number;
  fontSize: number;
}

/** The point of the box a label is placed at (its centre for CENTER_OF_MASS: boxes have no mask). */
function anchor(box: Box, position: TextPosition): { x: number; y: number } {
  const horizontal = position.endsWith("LEFT") ? box.x1 : position.endsWith("RIGHT") ? box.x2 : (box.x1 + box.x2) / 2;
  const vertical = position.startsWith("TOP") ? box.y1 : position.startsWith("BOTTOM") ? box.y2 : (box.y1 + box.y2) / 2;
  return { x: Math.trunc(horizontal), y: Math.trunc(vertical) };
}

/**
 * supervision's `resolve_text_background_xyxy`: the label sits outside the box's top edge for
 * TOP_* (its bottom on the anchor), below the bottom edge for BOTTOM_*, beside it for CENTER_LEFT
 * and CENTER_RIGHT, centred on it otherwise; at a corner it extends inward along the edge.
 */
export function labelLayout(box: Box, label: string, position: TextPosition, scale: number, padding: number): LabelLayout {
  const textWidth = Math.round(label.length * HERSHEY_ADVANCE * scale);
  const textHeight = Math.round(HERSHEY_HEIGHT * scale);
  const width = textWidth + 2 * padding;
  const height = textHeight + 2 * padding;
  const { x, y } = anchor(box, position);
  const x1 =
    {
      TOP_LEFT: x,
      BOTTOM_LEFT: x,
      CENTER_RIGHT: x,
      TOP_RIGHT: x - width,
      BOTTOM_RIGHT: x - width,
      CENTER_LEFT: x - width,
    }[position as string] ?? x - Math.floor(width / 2);
  const y1 = position.startsWith("TOP") ? y - height : position.startsWith("BOTTOM") ? y : y - Math.floor(height / 2);
  return {
    background: { x1, y1, x2: x1 + width, y2: y1 + height },
    textX: x1 + padding,
    textY: y1 + padding + textHeight,
    textWidth,
    fontSize: textHeight / CAP_HEIGHT_EM,
  };
}

export const labelVisualizationBlock = defineBlock({
  manifest: {
    type: "roboflow_core/label_visualization@v1",
    aliases: ["LabelVisualization"],
    name: "Label Visualization",
    description: "Writes a label (class, confidence, …) by each detected object.",
    ...VISUALIZATION_MANIFEST,
    properties: z.object({
      ...colourableVisualizationProperties,
      text: literalOrSelector(z.enum(LABEL_TEXTS), ["string"]).default("Class").describe("What each label says"),
      text_position: literalOrSelector(z.enum(TEXT_POSITIONS), ["string"]).default("TOP_LEFT").describe("Where on the box the label goes"),
      text_color: literalOrSelector(z.string(), ["string"]).default("WHITE").describe("#RRGGBB, rgb(R, G, B), bgr(B, G, R) or a name"),
      text_scale: literalOrSelector(z.number().positive(), ["float"]).default(1).describe("Text size; 1 is about 22 pixels tall"),
      text_thickness: literalOrSelector(z.number().int().positive(), ["integer"]).default(1).describe("Stroke of the text: 1 regular, 2 or more bold"),
      text_padding: literalOrSelector(z.number().int().min(0), ["integer"]).default(10).describe("Space around the text, pixels"),
      border_radius: literalOrSelector(z.number().int().min(0), ["integer"]).default(0).describe("Corner radius of the label's background, pixels"),
    }),
  },
  async run(inputs) {
    const { image, detections } = checkedScene(inputs.image, inputs.predictions);
    if (detections.length === 0) return { image };
    const position = inputs.text_position;
    if (!TEXT_POSITIONS.includes(position as TextPosition))
      throw new TypeError(`text_position must be one of ${TEXT_POSITIONS.join(", ")}, got ${describeValue(position)}`);
    if (typeof inputs.text_scale !== "number" || !(inputs.text_scale > 0))
      throw new TypeError(`text_scale must be a positive number, got ${describeValue(inputs.text_scale)}`);
    if (typeof inputs.text_color !== "string") throw new TypeError(`text_color must be a colour, got ${describeValue(inputs.text_color)}`);
    const textColour = parseColour(inputs.text_color);
    const padding = wholeNumber("text_padding", inputs.text_padding, 0);
    const radius = wholeNumber("border_radius", inputs.border_radius, 0);
    const weight = wholeNumber("text_thickness", inputs.text_thickness, 1) > 1 ? 700 : 400;
    const colours = detectionColours(detections, inputs.color_palette, inputs.custom_colors, inputs.color_axis);
    const labels = labelTexts(detections, inputs.text);
    const shapes = detections.items.flatMap((detection, i) => {
      const layout = labelLayout(detection.box, labels[i], position as TextPosition, inputs.text_scale, padding);
      const { background } = layout;
      const corner = Math.min(radius, Math.floor((background.x2 - background.x1) / 2), Math.floor((background.y2 - background.y1) / 2));
      return [
        filledRectSvg(background, colours[i], corner),
        textSvg(labels[i], layout.textX, layout.textY, layout.fontSize, layout.textWidth, textColour, weight),
      ];
    });
    return { image: await drawOn(image, shapes) };
  },
});
