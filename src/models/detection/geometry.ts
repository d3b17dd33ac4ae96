/**
 * How an image becomes a detector's input and how boxes come back (docs/reference/models.md#object-detection-models):
 * stretched to the input size, or letterboxed — scaled to fit, aspect kept, centred on padding —
 * as upstream's `letterbox_image` and `undo_image_padding_for_predicted_boxes` do it, so boxes
 * land on the same pixels as upstream's.
 */
import type { Box } from "../../block-api/detections.js";
import { BILINEAR, resizeRgbWindow, type RgbPixels } from "../preprocessing/resample.js";

export type ResizeMode = "letterbox" | "stretch";

export interface InputGeometry {
  readonly width: number;
  readonly height: number;
  readonly mode: ResizeMode;
  /** Channel value of the padding around a letterboxed image (Ultralytics trains with 114). */
  readonly padValue: number;
}

/** Where the scaled image lies inside the input: upstream's `resize_image_keeping_aspect_ratio` sizes (truncated) and `//2` padding. */
export interface Placement {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly top: number;
}

export function placement(image: { width: number; height: number }, input: InputGeometry): Placement {
  if (input.mode === "stretch") return { width: input.width, height: input.height, left: 0, top: 0 };
  const imageRatio = image.width / image.height;
  const width = imageRatio >= input.width / input.height ? input.width : Math.max(1, Math.trunc(input.height * imageRatio));
  const height = imageRatio >= input.width / input.height ? Math.max(1, Math.trunc(input.width / imageRatio)) : input.height;
  return { width, height, left: Math.floor((input.width - width) / 2), top: Math.floor((input.height - height) / 2) };
}

/**
 * The image as interleaved RGB bytes of the input's size: resized (bilinear, Pillow's
 * antialiased filter — upstream resizes with OpenCV, so pixels may differ by a little), then
 * placed on padding when letterboxed.
 */
export function fitImage(image: RgbPixels, input: InputGeometry): Uint8Array {
  const place = placement(image, input);
  const resized =
    place.width === image.width && place.height === image.height
      ? image.data
      : resizeRgbWindow(image, place.width, place.height, BILINEAR, { left: 0, top: 0, width: place.width, height: place.height });
  if (place.width === input.width && place.height === input.height) return resized;
  const out = new Uint8Array(input.width * input.height * 3).fill(input.padValue);
  for (let y = 0; y < place.height; y++) {
    out.set(resized.subarray(y * place.width * 3, (y + 1) * place.width * 3), ((place.top + y) * input.width + place.left) * 3);
  }
  return out;
}

/**
 * A box in input pixels → pixels of the image: stretched back, or the padding taken off and the
 * scale undone as upstream's `undo_image_padding_for_predicted_boxes` does (its scale and rounded
 * size, its unrounded padding); then clipped to the image and, with `round`, rounded to whole
 * pixels as upstream's `clip_boxes_coordinates` does for YOLO models.
 */
export function boxToImage(box: Box, image: { width: number; height: number }, input: InputGeometry, round: boolean): Box {
  let { x1, y1, x2, y2 } = box;
  if (input.mode === "stretch") {
    const sx = image.width / input.width;
    const sy = image.height / input.height;
    [x1, x2, y1, y2] = [x1 * sx, x2 * sx, y1 * sy, y2 * sy];
  } else {
    const scale = Math.min(input.height / image.height, input.width / image.width);
    const padX = (input.width - pythonRound(image.width * scale)) / 2;
    const padY = (input.height - pythonRound(image.height * scale)) / 2;
    [x1, x2, y1, y2] = [(x1 - padX) / scale, (x2 - padX) / scale, (y1 - padY) / scale, (y2 - padY) / scale];
  }
  const fit = (value: number, limit: number): number => {
    const clipped = Math.min(Math.max(value, 0), limit);
    return round ? roundHalfEven(clipped) : clipped;
  };
  return { x1: fit(x1, image.width), y1: fit(y1, image.height), x2: fit(x2, image.width), y2: fit(y2, image.height) };
}

/** numpy's `round`: halves to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Python's built-in `round` of a float: also halves to even. */
const pythonRound = roundHalfEven;
