/**
 * Getting images in and out: `{"type": "base64"|"url"|"file", "value": ...}` inputs decoded to
 * RGB with sharp (docs/reference/workflows.md#image-inputs), and JPEG/base64 outputs
 * (docs/reference/workflows.md#serialisation).
 */
import { readFile } from "node:fs/promises";
import sharp, { type OutputInfo } from "sharp";
import { WorkflowImage, type VideoMetadata } from "./index.js";
import { localNow, parseFrameTimestamp } from "./timestamp.js";

export interface ImageLoadOptions {
  /** Local paths are allowed in the CLI and the library, never through the HTTP server. */
  allowLocalFiles: boolean;
  /** Whether `http(s)://` URLs may be fetched. */
  allowUrls: boolean;
  /** Abort long downloads. */
  signal?: AbortSignal;
  /** Largest accepted encoded image, bytes. */
  maxBytes?: number;
}

export const DEFAULT_IMAGE_LOAD_OPTIONS: ImageLoadOptions = {
  allowLocalFiles: true,
  allowUrls: true,
  maxBytes: 64 * 1024 * 1024,
};

/** Raised for an image input that cannot be read; the caller adds which input and index. */
export class ImageInputError extends Error {
  override name = "ImageInputError";
}

/**
 * `size`: scale to it while decoding (a side left out keeps the aspect ratio), in the same
 * libvips pipeline — e.g. an image folder played at `--frame-size`.
 */
export async function decodeImage(
  bytes: Uint8Array,
  parentId: string,
  videoMetadata: VideoMetadata | null = null,
  size?: { width?: number; height?: number },
): Promise<WorkflowImage> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    let pipeline = sharp(bytes, { failOn: "error" })
      .rotate() // honour EXIF orientation, as OpenCV's imdecode does
      .removeAlpha()
      .toColourspace("srgb");
    if (size && (size.width !== undefined || size.height !== undefined)) {
      // both sides: exactly that size; one side: the other follows the aspect ratio (`fill` would keep it as it was)
      pipeline = pipeline.resize(size.width, size.height, size.width !== undefined && size.height !== undefined ? { fit: "fill" } : {});
    }
    decoded = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageInputError(`could not decode image: ${(error as Error).message}`);
  }
  const { width, height, channels } = decoded.info;
  let data = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  if (channels === 1) data = grayToRgb(data);
  else if (channels !== 3) throw new ImageInputError(`unsupported channel count ${channels}`);
  return new WorkflowImage({ width, height, data, parentId, videoMetadata });
}

function grayToRgb(gray: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(gray.length * 3);
  for (let i = 0; i < gray.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
  return rgb;
}

const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,/i;

function decodeBase64(value: string): Uint8Array {
  const payload = value.replace(DATA_URL, "");
  if (!/^[A-Za-z0-9+/=_\-\s]*$/.test(payload)) throw new ImageInputError("value is not valid base64");
  const bytes = Buffer.from(payload, "base64");
  if (bytes.length === 0) throw new ImageInputError("base64 value is empty");
  return bytes;
}

async function fetchImage(url: string, options: ImageLoadOptions): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal ?? AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new ImageInputError(`could not download ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ImageInputError(`could not download ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (options.maxBytes && bytes.length > options.maxBytes) {
    throw new ImageInputError(`image at ${url} is ${bytes.length} bytes; the limit is ${options.maxBytes}`);
  }
  return bytes;
}

async function readLocal(path: string, options: ImageLoadOptions): Promise<Uint8Array> {
  if (!options.allowLocalFiles) throw new ImageInputError("local file paths are not accepted here; send base64 or a URL");
  try {
    return await readFile(path);
  } catch (error) {
    throw new ImageInputError(`could not read image file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Video metadata as it arrives in JSON; validated field by field, the timestamp as pydantic reads a `datetime`. */
export function parseVideoMetadata(raw: unknown): VideoMetadata {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ImageInputError("video_metadata must be an object");
  }
  const m = raw as Record<string, unknown>;
  const identifier = m.video_identifier;
  if (typeof identifier !== "string" && typeof identifier !== "number") {
    throw new ImageInputError("video_metadata.video_identifier must be a string");
  }
  const frameNumber = m.frame_number;
  if (typeof frameNumber !== "number" || !Number.isInteger(frameNumber)) {
    throw new ImageInputError("video_metadata.frame_number must be an integer");
  }
  const timestamp = m.frame_timestamp === undefined || m.frame_timestamp === null ? localNow() : parseFrameTimestamp(m.frame_timestamp);
  if (timestamp === null) {
    throw new ImageInputError("video_metadata.frame_timestamp must be an ISO 8601 date and time or a Unix time in seconds");
  }
  const optionalNumber = (key: string): number | null => {
    const v = m[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new ImageInputError(`video_metadata.${key} must be a number`);
    return v;
  };
  const fromFile = m.comes_from_video_file;
  if (fromFile !== undefined && fromFile !== null && typeof fromFile !== "boolean") {
    throw new ImageInputError("video_metadata.comes_from_video_file must be a boolean");
  }
  return {
    video_identifier: String(identifier),
    frame_number: frameNumber,
    frame_timestamp: timestamp,
    fps: optionalNumber("fps"),
    measured_fps: optionalNumber("measured_fps"),
    comes_from_video_file: fromFile ?? null,
  };
}

/**
 * Loads one image input value. Accepts a `WorkflowImage`, a `{type, value, video_metadata?}`
 * dict, or (where local files are allowed) a plain path / URL string.
 */
export async function loadImage(raw: unknown, parentId: string, options: ImageLoadOptions = DEFAULT_IMAGE_LOAD_OPTIONS): Promise<WorkflowImage> {
  if (raw instanceof WorkflowImage) return raw;
  if (typeof raw === "string") {
    if (/^https?:\/\//i.test(raw)) return loadImage({ type: "url", value: raw }, parentId, options);
    if (options.allowLocalFiles) return loadImage({ type: "file", value: raw }, parentId, options);
    throw new ImageInputError('an image must be {"type": "base64" | "url", "value": ...}');
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ImageInputError('an image must be {"type": "base64" | "url", "value": ...}');
  }
  const spec = raw as Record<string, unknown>;
  const metadata = spec.video_metadata === undefined || spec.video_metadata === null ? null : parseVideoMetadata(spec.video_metadata);
  const id = typeof spec.parent_id === "string" ? spec.parent_id : parentId;
  const value = spec.value;
  if (value instanceof WorkflowImage) return metadata ? value.withVideoMetadata(metadata) : value;
  if (typeof value !== "string") throw new ImageInputError('image "value" must be a string');
  const type = typeof spec.type === "string" ? spec.type : inferType(value);
  let bytes: Uint8Array;
  switch (type) {
    case "url":
      if (!/^https?:\/\//i.test(value)) throw new ImageInputError(`"${truncate(value)}" is not an http(s) URL`);
      if (!options.allowUrls) throw new ImageInputError("image URLs are not accepted here");
      bytes = await fetchImage(value, options);
      break;
    case "file":
      bytes = await readLocal(value, options);
      break;
    case "base64":
      bytes = decodeBase64(value);
      break;
    default:
      throw new ImageInputError(`unsupported image type "${type}"; use "base64" or "url"${options.allowLocalFiles ? ' or "file"' : ""}`);
  }
  return decodeImage(bytes, id, metadata);
}

function inferType(value: string): string {
  return /^https?:\/\//i.test(value) ? "url" : "base64";
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export async function encodeJpeg(image: WorkflowImage, quality = 95): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** JPEG q95 base64, as upstream serialises images; memoised per image. */
export async function toJpegBase64(image: WorkflowImage, quality = 95): Promise<string> {
  const cached = image.cachedJpeg(quality);
  if (cached !== undefined) return cached;
  const base64 = (await encodeJpeg(image, quality)).toString("base64");
  image.rememberJpeg(quality, base64);
  return base64;
}
