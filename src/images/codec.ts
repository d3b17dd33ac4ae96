/**
 * Getting images in and out: `{"type": "base64"|"url"|"file", "value": ...}` inputs read, checked
 * against the image limits from their header, then decoded to RGB with sharp
 * (docs/reference/workflows.md#image-inputs, #image-limits), and JPEG/base64 outputs
 * (docs/reference/workflows.md#serialisation).
 */
import { readFile } from "node:fs/promises";
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { WorkflowImage, type VideoMetadata } from "./index.js";
import { localNow, parseFrameTimestamp } from "./timestamp.js";

export interface ImageLoadOptions {
  /** Local paths are allowed in the CLI and the library, never through the HTTP server. */
  allowLocalFiles: boolean;
  /** Whether `http(s)://` URLs may be fetched. */
  allowUrls: boolean;
  /** Abort long downloads. */
  signal?: AbortSignal;
  /** Largest image downloaded from a URL, bytes (default 64 MiB); the download stops as soon as it passes. */
  maxBytes?: number;
  /** Largest image, width × height as its header declares it, checked before decoding (default 40 000 000). */
  maxImagePixels?: number;
  /** Largest ratio of an image's long side to its short side, checked before decoding (default 100). */
  maxAspectRatio?: number;
  /**
   * Told of a download's bytes as they arrive. What it throws aborts the download and is thrown
   * as it is: the server reserves the bytes from its in-flight memory budget
   * (docs/reference/http.md#limits).
   */
  onDownloadBytes?: (bytes: number) => void;
}

/**
 * The image limits (docs/reference/workflows.md#image-limits). 40 megapixels holds every
 * ordinary camera frame — 12–24 MP photos, 8K video (33 MP) — and decodes to 120 MB of RGB, so
 * one image stays well inside what a request may take; an aspect ratio of 100:1 passes any
 * real panorama (a 360° phone panorama is about 10:1).
 */
export const DEFAULT_IMAGE_LIMITS = {
  maxBytes: 64 * 1024 * 1024,
  maxImagePixels: 40_000_000,
  maxAspectRatio: 100,
} as const satisfies Partial<ImageLoadOptions>;

export const DEFAULT_IMAGE_LOAD_OPTIONS: ImageLoadOptions = {
  allowLocalFiles: true,
  allowUrls: true,
  ...DEFAULT_IMAGE_LIMITS,
};

/** Raised for an image input that cannot be read; the caller adds which input and index. */
export class ImageInputError extends Error {
  override name = "ImageInputError";
}

/** What an image's header declares, read without decoding a pixel. */
export interface ImageHeader {
  format: string;
  width: number;
  height: number;
}

/** An image input read and checked against the limits from its header, not decoded yet. */
export class EncodedImage {
  constructor(
    readonly bytes: Uint8Array,
    readonly header: ImageHeader,
    readonly parentId: string,
    readonly videoMetadata: VideoMetadata | null,
  ) {}

  /** The size of its RGB pixels once decoded. */
  get decodedBytes(): number {
    return this.header.width * this.header.height * 3;
  }
}

/**
 * The header of an encoded image: its format and size (an SVG's at the density it is
 * rasterised at). sharp reads no pixels for it, so a bomb costs no more than its bytes here.
 */
export async function readImageHeader(bytes: Uint8Array): Promise<ImageHeader> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageInputError(`could not decode image: ${(error as Error).message}`);
  }
  if (!metadata.width || !metadata.height) throw new ImageInputError(`could not decode image: its ${metadata.format} header declares no size`);
  return { format: metadata.format, width: metadata.width, height: metadata.height };
}

/** Refuses an image whose declared size is beyond the limits (docs/reference/workflows.md#image-limits). */
export function checkImageLimits(header: ImageHeader, options: Pick<ImageLoadOptions, "maxImagePixels" | "maxAspectRatio">): void {
  const { width, height } = header;
  const maxPixels = options.maxImagePixels ?? DEFAULT_IMAGE_LIMITS.maxImagePixels;
  if (width * height > maxPixels) {
    throw new ImageInputError(
      `image is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels} (set by --max-image-pixels, or maxImagePixels in the library)`,
    );
  }
  const maxRatio = options.maxAspectRatio ?? DEFAULT_IMAGE_LIMITS.maxAspectRatio;
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > maxRatio) {
    throw new ImageInputError(
      `image is ${width}x${height}, an aspect ratio of ${formatRatio(ratio)}:1, more than the limit of ${maxRatio}:1 (set by --max-aspect-ratio, or maxAspectRatio in the library)`,
    );
  }
}

function formatRatio(ratio: number): string {
  return Number.isInteger(ratio) ? String(ratio) : ratio.toFixed(1);
}

/**
 * `size`: scale to it while decoding (a side left out keeps the aspect ratio), in the same
 * libvips pipeline — e.g. an image folder played at `--frame-size`. `maxPixels`: sharp refuses
 * an image larger than that as it opens it, whatever a caller checked before.
 */
export async function decodeImage(
  bytes: Uint8Array,
  parentId: string,
  videoMetadata: VideoMetadata | null = null,
  size?: { width?: number; height?: number },
  maxPixels?: number,
): Promise<WorkflowImage> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    let pipeline = sharp(bytes, { failOn: "error", ...(maxPixels === undefined ? {} : { limitInputPixels: maxPixels }) })
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
  const limit = options.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes;
  const tooLarge = (what: string) =>
    new ImageInputError(`image at ${url} ${what} the limit of ${limit} bytes (set by --max-image-download-mb, or maxBytes in the library)`);
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal ?? AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new ImageInputError(`could not download ${url}: ${(error as Error).message}`);
  }
  const body = response.body;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    if (!response.ok) throw new ImageInputError(`could not download ${url}: HTTP ${response.status}`);
    const announced = Number(response.headers.get("content-length") ?? Number.NaN);
    if (announced > limit) throw tooLarge(`announces ${announced} bytes (Content-Length), more than`);
    if (!body) return new Uint8Array(0);
    // Read as it streams, so a body beyond the limit stops there rather than being held whole first.
    const chunks: Uint8Array[] = [];
    let received = 0;
    reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((error: unknown) => {
        throw new ImageInputError(`could not download ${url}: ${(error as Error).message}`);
      });
      if (done) return Buffer.concat(chunks, received);
      received += value.length;
      if (received > limit) throw tooLarge("is more than");
      options.onDownloadBytes?.(value.length);
      chunks.push(value);
    }
  } catch (error) {
    // Closes the connection: nothing more is read.
    await (reader ?? body)?.cancel().catch(() => undefined);
    throw error;
  }
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
 * Loads one image input value: `readImage`, then decoding. Accepts what `readImage` accepts and
 * the `EncodedImage` it gives.
 */
export async function loadImage(raw: unknown, parentId: string, options: ImageLoadOptions = DEFAULT_IMAGE_LOAD_OPTIONS): Promise<WorkflowImage> {
  const read = raw instanceof EncodedImage ? raw : await readImage(raw, parentId, options);
  if (read instanceof WorkflowImage) return read;
  return decodeImage(read.bytes, read.parentId, read.videoMetadata, undefined, options.maxImagePixels ?? DEFAULT_IMAGE_LIMITS.maxImagePixels);
}

/**
 * Reads one image input value without decoding it, and refuses it when its header is beyond the
 * limits. Accepts a `WorkflowImage` (given back as it is), a `{type, value, video_metadata?}`
 * dict, or (where local files are allowed) a plain path / URL string.
 */
export async function readImage(raw: unknown, parentId: string, options: ImageLoadOptions = DEFAULT_IMAGE_LOAD_OPTIONS): Promise<EncodedImage | WorkflowImage> {
  if (raw instanceof WorkflowImage) return raw;
  if (typeof raw === "string") {
    if (/^https?:\/\//i.test(raw)) return readImage({ type: "url", value: raw }, parentId, options);
    if (options.allowLocalFiles) return readImage({ type: "file", value: raw }, parentId, options);
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
  const header = await readImageHeader(bytes);
  checkImageLimits(header, options);
  return new EncodedImage(bytes, header, id, metadata);
}

function inferType(value: string): string {
  return /^https?:\/\//i.test(value) ? "url" : "base64";
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** libjpeg's largest side: an image longer than that cannot be a JPEG. */
export const JPEG_MAX_SIDE = 65500;

function pixelsOf(image: WorkflowImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

export async function encodeJpeg(image: WorkflowImage, quality = 95): Promise<Buffer> {
  return pixelsOf(image).jpeg({ quality }).toBuffer();
}

/**
 * JPEG q95 base64, as upstream serialises images; memoised per image. An image with a side
 * beyond JPEG's 65500 pixels becomes a PNG instead, which every client decodes just as well
 * (docs/reference/workflows.md#serialisation).
 */
export async function toJpegBase64(image: WorkflowImage, quality = 95): Promise<string> {
  const cached = image.cachedJpeg(quality);
  if (cached !== undefined) return cached;
  const encoded = Math.max(image.width, image.height) > JPEG_MAX_SIDE ? await pixelsOf(image).png().toBuffer() : await encodeJpeg(image, quality);
  const base64 = encoded.toString("base64");
  image.rememberJpeg(quality, base64);
  return base64;
}
