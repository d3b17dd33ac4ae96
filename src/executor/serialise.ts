/**
 * Results → JSON (docs/reference/workflows.md#serialisation): images become `{"type": "base64",
 * "value": <JPEG q95>, "video_metadata": {...}}`, dates as Python's `isoformat()` writes them, NaN/±Infinity `null` (as
 * orjson does upstream), any other value with a `toJSON` as it gives itself. The walk is synchronous; only image encoding is awaited, all images at
 * once.
 */
import { toJpegBase64 } from "../images/codec.js";
import { serialiseVideoMetadata, WorkflowImage } from "../images/index.js";
import { pythonIsoformat } from "../images/timestamp.js";

export type ValuePath = readonly (string | number)[];

/** How an image output is written; the video CLI swaps in file paths. */
export type ImageSerialiser = (image: WorkflowImage, path: ValuePath) => Promise<unknown>;

export const base64Images: ImageSerialiser = async (image) => ({
  type: "base64",
  value: await toJpegBase64(image),
  video_metadata: serialiseVideoMetadata(image.videoMetadata),
});

export interface SerialiseOptions {
  images?: ImageSerialiser;
  /** Keys removed from every result (upstream's `excluded_fields`). */
  excludedFields?: readonly string[];
}

type Slot = { holder: Record<string, unknown> | unknown[]; key: string | number; image: WorkflowImage; path: ValuePath };

function walk(value: unknown, path: ValuePath, slots: Slot[], holder: Record<string, unknown> | unknown[], key: string | number): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? value : null;
    case "string":
    case "boolean":
      return value;
    case "bigint":
      return Number(value);
    case "object":
      break;
    default:
      return null;
  }
  if (value instanceof WorkflowImage) {
    slots.push({ holder, key, image: value, path });
    return null;
  }
  if (value instanceof Date) return pythonIsoformat(value);
  // Values with a JSON form of their own (detections: docs/reference/blocks.md#detections-json).
  if (hasJsonForm(value)) return walk(value.toJSON(), path, slots, holder, key);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (n) => (Number.isFinite(n) ? n : null));
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = walk(value[i], [...path, i], slots, out, i);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(value)) out[k] = walk(item, [...path, k], slots, out, k);
  return out;
}

function hasJsonForm(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

async function fillImages(slots: readonly Slot[], images: ImageSerialiser): Promise<void> {
  await Promise.all(
    slots.map(async (slot) => {
      const serialised = await images(slot.image, slot.path);
      if (Array.isArray(slot.holder)) slot.holder[slot.key as number] = serialised;
      else slot.holder[slot.key as string] = serialised;
    }),
  );
}

export async function serialiseResults(results: readonly Record<string, unknown>[], options: SerialiseOptions = {}): Promise<Record<string, unknown>[]> {
  const excluded = new Set(options.excludedFields ?? []);
  const slots: Slot[] = [];
  const out = results.map((result, index) => {
    const serialised: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(result)) {
      if (!excluded.has(key)) serialised[key] = walk(value, [index, key], slots, serialised, key);
    }
    return serialised;
  });
  if (slots.length > 0) await fillImages(slots, options.images ?? base64Images);
  return out;
}

export async function serialiseValue(value: unknown, images: ImageSerialiser = base64Images): Promise<unknown> {
  const slots: Slot[] = [];
  const root: unknown[] = [null];
  root[0] = walk(value, [], slots, root, 0);
  if (slots.length > 0) await fillImages(slots, images);
  return root[0];
}
