/** Image operations: size properties, video-frame metadata, JPEG / base64 encoding. */
import jpeg from "jpeg-js";
import type { WorkflowImage } from "../../images/index.js";
import { pyTypeError, pyZeroDivisionError } from "../python/errors.js";
import { expectImage, type OperationBuilders } from "./context.js";

type ImageOperation = "ExtractImageProperty" | "ExtractFrameMetadata" | "ConvertImageToJPEG" | "ConvertImageToBase64";

/** Upstream's default JPEG quality for serialised images. */
const DEFAULT_JPEG_QUALITY = 95;

/** Synchronous JPEG encoding (the query language is synchronous; sharp is not). */
export function encodeJpegSync(image: WorkflowImage, quality: number): Uint8Array {
  const { width, height, data } = image;
  const rgba = new Uint8Array(width * height * 4);
  for (let source = 0, target = 0; source < data.length; source += 3, target += 4) {
    rgba[target] = data[source];
    rgba[target + 1] = data[source + 1];
    rgba[target + 2] = data[source + 2];
    rgba[target + 3] = 255;
  }
  const encoded = jpeg.encode({ width, height, data: rgba }, quality).data;
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

function secondsSinceStart(image: WorkflowImage): number {
  const { frame_number: frameNumber, fps } = image.videoMetadata;
  if (fps === null) throw pyTypeError("unsupported operand type(s) for /: 'int' and 'NoneType' (the frame has no fps)");
  if (fps === 0) throw pyZeroDivisionError("division by zero (the frame's fps is 0)");
  return (frameNumber - 1) / fps;
}

export const IMAGE_OPERATIONS: OperationBuilders<ImageOperation> = {
  ExtractImageProperty: ({ property_name }) => {
    switch (property_name) {
      case "size":
        return (value) => {
          const image = expectImage(value);
          return image.width * image.height;
        };
      case "height":
        return (value) => expectImage(value).height;
      case "width":
        return (value) => expectImage(value).width;
      case "aspect_ratio":
        return (value) => {
          const image = expectImage(value);
          return image.height === 0 ? 0 : image.width / image.height;
        };
    }
  },

  // Images without video metadata get upstream's synthetic one (frame 0, fps 30, now).
  ExtractFrameMetadata: ({ property_name }) => {
    switch (property_name) {
      case "frame_number":
        return (value) => expectImage(value).videoMetadata.frame_number;
      case "frame_timestamp":
        return (value) => expectImage(value).videoMetadata.frame_timestamp;
      case "seconds_since_start":
        return (value) => secondsSinceStart(expectImage(value));
    }
  },

  ConvertImageToJPEG:
    ({ compression_level }) =>
    (value) =>
      encodeJpegSync(expectImage(value), compression_level),

  ConvertImageToBase64: () => (value) => Buffer.from(encodeJpegSync(expectImage(value), DEFAULT_JPEG_QUALITY)).toString("base64"),
};
