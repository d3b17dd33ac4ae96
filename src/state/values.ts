/**
 * Block state is plain JSON, with one exception: values that flow through a workflow may be
 * kept in state as they are — a buffer of frames, a cached list of images. Snapshots carry those
 * losslessly: a `WorkflowImage` becomes a tagged object with its raw RGB pixels in base64 (exact,
 * and cheap to encode compared with a PNG), a `Date` an ISO string; restoring turns them back.
 */
import { z } from "zod";
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

const dateText = z.string().refine((text) => !Number.isNaN(Date.parse(text)), { error: "must be a date (ISO 8601)" });

const encodedDate = z.strictObject({ [DATE_TAG]: dateText });

const encodedImage = z.strictObject({
  [IMAGE_TAG]: z
    .strictObject({
      width: z.int().min(1),
      height: z.int().min(1),
      parent_id: z.string(),
      root_parent_id: z.string(),
      video_metadata: z
        .strictObject({
          video_identifier: z.string(),
          frame_number: z.int().min(0),
          frame_timestamp: dateText,
          fps: z.number().nullable(),
          measured_fps: z.number().nullable(),
          comes_from_video_file: z.boolean().nullable(),
        })
        .nullable(),
      rgb_base64: z.base64(),
    })
    .superRefine(
      (image, ctx) => {
        const bytes = Buffer.byteLength(image.rgb_base64, "base64");
        const expected = image.width * image.height * 3;
        if (bytes !== expected) {
          ctx.addIssue({
            code: "custom",
            path: ["rgb_base64"],
            input: image.rgb_base64,
            message: `expected ${expected} bytes (width × height × 3), got ${bytes}`,
          });
        }
      },
      { when: (payload) => payload.issues.length === 0 },
    ),
}) satisfies z.ZodType<EncodedImage>;

/**
 * What is wrong with the tagged images and dates anywhere in a parsed snapshot value (paths from
 * `value`): a restored image must have as many pixels as it says, a date must be one.
 */
export function malformedTags(value: unknown, path: readonly PropertyKey[] = []): z.core.$ZodIssue[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => malformedTags(item, [...path, i]));
  if (typeof value !== "object" || value === null) return [];
  const tagged = IMAGE_TAG in value ? encodedImage : DATE_TAG in value ? encodedDate : null;
  if (tagged) {
    const result = tagged.safeParse(value, { reportInput: true });
    return result.success ? [] : result.error.issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] }));
  }
  return Object.entries(value).flatMap(([key, item]) => malformedTags(item, [...path, key]));
}

/** Turns tagged values back into images and dates, everywhere in a parsed snapshot (checked by `malformedTags`). */
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
  // fromEntries defines keys: a "__proto__" key stays data, never an object's prototype
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, decodeStateValue(item)]));
}
