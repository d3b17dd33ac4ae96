/**
 * The pictures of an event: the frame as a JPEG, and a thumbnail at most 160 px wide — the same
 * thumbnail the live view's flagged frames carry (docs/reference/http.md#live-events).
 */
import sharp from "sharp";
import { encodeJpeg } from "../images/codec.js";
import type { WorkflowImage } from "../images/index.js";
import type { FrameResult } from "../video/pipeline.js";

export const THUMBNAIL_WIDTH = 160;
/** Good enough to label from, a third of q95's size. */
const SNAPSHOT_QUALITY = 90;
const THUMBNAIL_QUALITY = 70;

export interface Snapshot {
  image: Buffer;
  thumbnail: Buffer;
  width: number;
  height: number;
}

export async function thumbnailJpeg(image: WorkflowImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width: Math.min(THUMBNAIL_WIDTH, image.width) })
    .jpeg({ quality: THUMBNAIL_QUALITY })
    .toBuffer();
}

/** A frame as an event keeps it: its snapshot, and the frames around it. */
export function frameJpeg(image: WorkflowImage): Promise<Buffer> {
  return encodeJpeg(image, SNAPSHOT_QUALITY);
}

export async function snapshotOf(image: WorkflowImage): Promise<Snapshot> {
  const [jpeg, thumbnail] = await Promise.all([frameJpeg(image), thumbnailJpeg(image)]);
  return { image: jpeg, thumbnail, width: image.width, height: image.height };
}

export function jpegDataUrl(jpeg: Buffer): string {
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}

/** `picture` of each flagged frame of a tick, by position; undefined for the others. */
export async function flaggedPictures<T>(results: readonly FrameResult[], picture: (image: WorkflowImage) => Promise<T>): Promise<Array<T | undefined>> {
  // A frame passed on without pixels (no step read them) has none to show; a picture that
  // fails is left out rather than failing the pipeline.
  const none = Promise.resolve(undefined);
  return Promise.all(results.map((result) => (result.flagged && result.frame.bytes > 0 ? picture(result.frame.image).catch(() => undefined) : none)));
}
