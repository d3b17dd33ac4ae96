/**
 * Block state is plain JSON, with one exception: values that flow through a workflow may be
 * kept in state as they are — a buffer of frames, a cached list of images. Snapshots carry those
 * losslessly: a `WorkflowImage` becomes a tagged object with its raw RGB pixels in base64 (exact,
 * and cheap to encode compared with a PNG), a `Date` an ISO string; restoring turns them back.
 */
import { serialiseVideoMetadata, WorkflowImage, type SerialisedVideoMetadata } from "../images/index.js";

const IMAGE_TAG = "$sightline_image";
const DATE_TAG = "$sightline_date";

interface EncodedImage {
  [IMAGE_TAG]: {
    width: number;
    height: number;
    parent_id: string;
    root_parent_id: string;
    video_metadata: SerialisedVideoMetadata | null;
    rgb_base64: string;
  };
}

/** For `JSON.stringify`'s replacer: Dates arrive already stringified, so tag them via `this`. */
export function encodeStateValue(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown> | undefined)?.[key];
  if (original instanceof Date) return { [DATE_TAG]: original.toISOString() };
  if (value instanceof WorkflowImage) {
    const metadata = value.ownVideoMetadata;
    const encoded: EncodedImage = {
      [IMAGE_TAG]: {
        width: value.width,
        height: value.height,
        parent_id: value.parentId,
        root_parent_id: value.rootParentId,
        video_metadata: metadata ? serialiseVideoMetadata(metadata) : null,
        rgb_base64: Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength).toString("base64"),
      },
    };
    return encoded;
  }
  return value;
}

/** Turns tagged values back into images and dates, everywhere in a parsed snapshot. */
export function decodeStateValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeStateValue);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record[DATE_TAG] === "string") return new Date(record[DATE_TAG]);
  const image = record[IMAGE_TAG] as EncodedImage[typeof IMAGE_TAG] | undefined;
  if (image && typeof image === "object") {
    const bytes = Buffer.from(image.rgb_base64, "base64");
    return new WorkflowImage({
      width: image.width,
      height: image.height,
      data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      parentId: image.parent_id,
      rootParentId: image.root_parent_id,
      videoMetadata: image.video_metadata ? { ...image.video_metadata, frame_timestamp: new Date(image.video_metadata.frame_timestamp) } : null,
    });
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) out[key] = decodeStateValue(item);
  return out;
}
