/** From a user's reference (and options) to a running-ready source of the right kind. */
import type { FfmpegTools } from "../ffmpeg.js";
import { RuntimeInputError } from "../../errors/index.js";
import { classifyReference, shownReference } from "../reference.js";
import type { SourceKind } from "../status.js";
import { ImageFolderSource } from "./image-folder.js";
import { LiveStreamSource } from "./live-stream.js";
import type { SourceEvent } from "../status.js";
import type { FrameSource, ReconnectOptions, SourceOptions } from "./source.js";
import { VideoFileSource } from "./video-file.js";

export interface VideoSourceSpec {
  /** Path, URL, `/dev/videoN` (or a bare device index on Linux) or folder of images. */
  reference: string;
  /**
   * What the status, events and messages call the source instead of its reference — e.g. the
   * server's `upload:<id>`, whose file lies in a folder clients must not learn. Default: the
   * reference, password masked.
   */
  shownAs?: string;
  /** `video_identifier`; default: the source's position, "0", "1", … */
  name?: string;
  /** Overrides the guess from the reference, e.g. `"stream"` for an `http://` URL of a finite file played live. */
  kind?: SourceKind;
  /** Output size; omit a side to keep the aspect ratio. Default: full size. */
  scale?: { width?: number; height?: number };
  /** Extra ffmpeg input options placed before `-i`. */
  inputArgs?: readonly string[];
  /** Files and folders: frames decoded ahead (default 8). */
  prefetchFrames?: number;
  /** Files and folders: process only about this many frames per second of video (see `SourceOptions`). */
  sampleFps?: number;
  /** Video files: the frames some step will read the pixels of; the others are not piped (see `SourceOptions`). */
  pixelDemand?: SourceOptions["pixelDemand"];
  /** Image folders: frame rate for timestamps (default 30, upstream's fps for images without metadata). */
  fps?: number;
  /** Live sources: stall timeout and backoff. */
  reconnect?: Partial<ReconnectOptions>;
  /**
   * Start after frame N — the last frame a run already processed — to resume it (default 0: from
   * the start). Files and image folders deliver none of frames 1…N, and every later frame exactly
   * as a run from the start has it: number, timestamp, metadata, pixels, with every other option
   * here. N at or past the end: the source ends at once, normally, with no frame. Live streams
   * and webcams number their frames from N + 1 (timestamps stay the wall clock). A whole number ≥ 0.
   */
  startAfterFrame?: number;
}

/** Options for every source of a run; where to start is a source's own (`startAfterFrame`). */
export type SourceDefaults = Omit<VideoSourceSpec, "reference" | "name" | "kind" | "startAfterFrame">;

/** Throws `RuntimeInputError` naming the source (`id` is its `video_identifier`) for a spec no source can start from. */
export function checkSourceSpec(spec: VideoSourceSpec, id: string): void {
  const after = spec.startAfterFrame;
  if (after !== undefined && !(Number.isInteger(after) && after >= 0)) {
    throw new RuntimeInputError(`video source ${id} (${shownReference(spec)}): startAfterFrame must be a whole number ≥ 0, got ${after}`);
  }
}

export function needsFfmpeg(kind: SourceKind): boolean {
  return kind !== "image-folder";
}

/** Resolves the kind of every spec (file-system look-ups), without opening anything. */
export async function resolveKinds(specs: readonly VideoSourceSpec[]): Promise<Array<{ kind: SourceKind; reference: string }>> {
  return Promise.all(specs.map(async (spec) => (spec.kind ? { kind: spec.kind, reference: spec.reference } : classifyReference(spec.reference))));
}

export function createSource(
  spec: VideoSourceSpec,
  resolved: { kind: SourceKind; reference: string },
  id: string,
  context: { tools: FfmpegTools | null; onEvent?: (event: SourceEvent) => void },
): FrameSource {
  const options = { ...spec, id, reference: resolved.reference, kind: resolved.kind, tools: context.tools, onEvent: context.onEvent };
  switch (resolved.kind) {
    case "file":
      return new VideoFileSource(options);
    case "image-folder":
      return new ImageFolderSource(options);
    case "stream":
    case "webcam":
      return new LiveStreamSource(options);
  }
}
