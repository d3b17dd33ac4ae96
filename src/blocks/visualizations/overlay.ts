/**
 * Drawing on a frame: shapes are written as one SVG the size of the image and composited onto its
 * pixels by the image library (sharp), so a box or a label costs a few bytes of markup, not a pass
 * over the pixels (docs/reference/blocks.md#bounding-box-visualization).
 */
import sharp from "sharp";
import type { Box } from "../../block-api/index.js";
import type { WorkflowImage } from "../../images/index.js";
import { cssColour, type Rgb } from "./colours.js";

/** A rectangle's outline, `thickness` pixels wide, centred on the box's edges as OpenCV draws it. */
export function outlineSvg(box: Box, colour: Rgb, thickness: number, cornerRadius: number): string {
  const x = Math.round(box.x1);
  const y = Math.round(box.y1);
  const width = Math.round(box.x2) - x;
  const height = Math.round(box.y2) - y;
  return `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="${cornerRadius}" fill="none" stroke="${cssColour(colour)}" stroke-width="${thickness}"/>`;
}

/** A filled rectangle from (x1, y1) to (x2, y2). */
export function filledRectSvg(box: Box, colour: Rgb, cornerRadius: number): string {
  return `<rect x="${box.x1}" y="${box.y1}" width="${box.x2 - box.x1}" height="${box.y2 - box.y1}" rx="${cornerRadius}" fill="${cssColour(colour)}"/>`;
}

/**
 * Text whose baseline starts at (x, y), stretched to exactly `width` pixels so the layout does not
 * depend on which fonts the machine has.
 */
export function textSvg(text: string, x: number, y: number, fontSize: number, width: number, colour: Rgb, weight: number): string {
  return `<text x="${x}" y="${y}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" font-weight="${weight}" textLength="${width}" lengthAdjust="spacingAndGlyphs" fill="${cssColour(colour)}">${escapeXml(text)}</text>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The image with the SVG `shapes` drawn over it: same lineage and metadata, new pixels. */
export async function drawOn(image: WorkflowImage, shapes: readonly string[]): Promise<WorkflowImage> {
  if (shapes.length === 0) return image;
  const { width, height } = image;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join("")}</svg>`;
  const pixels = await sharp(image.data, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer();
  return image.withPixels(width, height, new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
}
