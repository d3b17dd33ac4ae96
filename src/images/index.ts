/**
 * Image data as it flows through a workflow: decoded RGB pixels plus the lineage and video
 * metadata upstream's `WorkflowImageData` carries (docs/reference/workflows.md#image-inputs).
 */
import { randomUUID } from "node:crypto";
import { localNow, pythonIsoformat } from "./timestamp.js";

/** Per-frame facts about where an image came from, upstream's `VideoMetadata` (docs/reference/workflows.md#video-frames). */
export interface VideoMetadata {
  video_identifier: string;
  /** 1-based for frames of a video pipeline; 0 in synthetic metadata of a still image. */
  frame_number: number;
  /**
   * A `FrameTimestamp` (microseconds, naive or aware) when read from JSON or synthesised; any
   * other `Date` counts as an aware UTC time (docs/reference/workflows.md#frame-timestamps).
   */
  frame_timestamp: Date;
  fps: number | null;
  measured_fps: number | null;
  comes_from_video_file: boolean | null;
}

/** The wire form of video metadata (timestamps as Python's `isoformat()` writes them). */
export interface SerialisedVideoMetadata {
  video_identifier: string;
  frame_number: number;
  frame_timestamp: string;
  fps: number | null;
  measured_fps: number | null;
  comes_from_video_file: boolean | null;
}

/**
 * Where a crop sits in the image it was cut from: its top-left corner there, and that image's
 * size (upstream's `OriginCoordinatesSystem`; serialised as `parent_origin` / `root_parent_origin`,
 * docs/reference/blocks.md#detections-json).
 */
export interface ImageOrigin {
  readonly offset_x: number;
  readonly offset_y: number;
  readonly width: number;
  readonly height: number;
}

export interface WorkflowImageInit {
  width: number;
  height: number;
  /**
   * Interleaved RGB, row-major, `width * height * 3` bytes — or a function that makes them on
   * first use: video frames arrive as YUV, and most are never looked at (a workflow sampling one
   * frame a second), so they are converted only if a step reads their pixels.
   */
  data: Uint8Array | (() => Uint8Array);
  parentId: string;
  rootParentId?: string;
  /** For a crop: where it sits in its parent image, and in the workflow input it descends from. */
  parentOrigin?: ImageOrigin | null;
  rootParentOrigin?: ImageOrigin | null;
  videoMetadata?: VideoMetadata | null;
}

export class WorkflowImage {
  readonly width: number;
  readonly height: number;
  private pixels: Uint8Array | (() => Uint8Array);
  readonly parentId: string;
  readonly rootParentId: string;
  /** Null for an image that is not a crop. */
  readonly parentOrigin: ImageOrigin | null;
  readonly rootParentOrigin: ImageOrigin | null;
  /** Metadata given with the image (video frames); null for still images. */
  readonly ownVideoMetadata: VideoMetadata | null;
  private syntheticMetadata: VideoMetadata | null = null;
  /** Serialising the same image again (e.g. a buffer re-emitted every frame) costs nothing. */
  private jpegCache = new Map<number, string>();

  constructor(init: WorkflowImageInit) {
    if (typeof init.data !== "function") checkSize(init.data, init.width, init.height);
    this.width = init.width;
    this.height = init.height;
    this.pixels = init.data;
    this.parentId = init.parentId;
    this.rootParentId = init.rootParentId ?? init.parentId;
    this.parentOrigin = init.parentOrigin ?? null;
    this.rootParentOrigin = init.rootParentOrigin ?? null;
    this.ownVideoMetadata = init.videoMetadata ?? null;
  }

  /** Interleaved RGB, `width * height * 3` bytes (made on first read for lazily converted frames). */
  get data(): Uint8Array {
    if (typeof this.pixels === "function") {
      const made = this.pixels();
      checkSize(made, this.width, this.height);
      this.pixels = made;
    }
    return this.pixels;
  }

  /**
   * Upstream synthesises metadata for images without any: identifier = parent id, frame 0,
   * fps 30, timestamp `datetime.now()` (naive local time). We take "now" once, so repeated reads
   * agree.
   */
  get videoMetadata(): VideoMetadata {
    if (this.ownVideoMetadata) return this.ownVideoMetadata;
    this.syntheticMetadata ??= {
      video_identifier: this.parentId,
      frame_number: 0,
      frame_timestamp: localNow(),
      fps: 30,
      measured_fps: null,
      comes_from_video_file: null,
    };
    return this.syntheticMetadata;
  }

  /** A new image with other pixels and the same lineage and metadata (upstream `copy_and_replace`). */
  withPixels(width: number, height: number, data: Uint8Array): WorkflowImage {
    return new WorkflowImage({
      width,
      height,
      data,
      ...this.lineage(),
      videoMetadata: this.ownVideoMetadata,
    });
  }

  /**
   * The pixels of the rectangle [x1, x2) × [y1, y2) (integers inside the image, non-empty) as a
   * new image named `cropId`, upstream's `WorkflowImageData.create_crop`: its parent is the crop
   * id, its root this image's root, its origins where it sits in both; no video metadata.
   */
  crop(x1: number, y1: number, x2: number, y2: number, cropId: string): WorkflowImage {
    const width = x2 - x1;
    const height = y2 - y1;
    const source = this.data;
    const data = new Uint8Array(width * height * 3);
    for (let row = 0; row < height; row++) {
      const start = ((y1 + row) * this.width + x1) * 3;
      data.set(source.subarray(start, start + width * 3), row * width * 3);
    }
    const root = this.rootParentOrigin ?? { offset_x: 0, offset_y: 0, width: this.width, height: this.height };
    return new WorkflowImage({
      width,
      height,
      data,
      parentId: cropId,
      rootParentId: this.rootParentId,
      parentOrigin: { offset_x: x1, offset_y: y1, width: this.width, height: this.height },
      rootParentOrigin: { offset_x: root.offset_x + x1, offset_y: root.offset_y + y1, width: root.width, height: root.height },
    });
  }

  /** Its ids and origins, which an image made from it with other pixels or metadata keeps. */
  private lineage(): Pick<WorkflowImageInit, "parentId" | "rootParentId" | "parentOrigin" | "rootParentOrigin"> {
    return { parentId: this.parentId, rootParentId: this.rootParentId, parentOrigin: this.parentOrigin, rootParentOrigin: this.rootParentOrigin };
  }

  /** The same image (pixels, lineage) with other video metadata, e.g. given with it as an input. */
  withVideoMetadata(videoMetadata: VideoMetadata): WorkflowImage {
    return new WorkflowImage({
      width: this.width,
      height: this.height,
      data: () => this.data,
      ...this.lineage(),
      videoMetadata,
    });
  }

  cachedJpeg(quality: number): string | undefined {
    return this.jpegCache.get(quality);
  }

  rememberJpeg(quality: number, base64: string): void {
    this.jpegCache.set(quality, base64);
  }

  /** A black image, e.g. for an empty grid (upstream gives it a random parent id). */
  static black(width: number, height: number): WorkflowImage {
    return new WorkflowImage({
      width,
      height,
      data: new Uint8Array(width * height * 3),
      parentId: randomUUID(),
    });
  }
}

function checkSize(data: Uint8Array, width: number, height: number): void {
  if (data.length !== width * height * 3) {
    throw new RangeError(`image data has ${data.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`);
  }
}

export function isWorkflowImage(value: unknown): value is WorkflowImage {
  return value instanceof WorkflowImage;
}

export function serialiseVideoMetadata(metadata: VideoMetadata): SerialisedVideoMetadata {
  return {
    video_identifier: metadata.video_identifier,
    frame_number: metadata.frame_number,
    frame_timestamp: pythonIsoformat(metadata.frame_timestamp),
    fps: metadata.fps,
    measured_fps: metadata.measured_fps,
    comes_from_video_file: metadata.comes_from_video_file,
  };
}
