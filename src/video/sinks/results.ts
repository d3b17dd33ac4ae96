/**
 * Where a video run's results go: one JSON line per processed frame
 * `{"source", "frame_number", "frame_timestamp", "outputs"}` on stdout; with `outDir`, image
 * outputs as JPEG files (the JSON then holds their paths instead of base64) and the same lines in
 * `outDir/results.jsonl`; chosen image outputs also as video files.
 *
 * Turning outputs into JSON (images to base64, detections, dates…) is the engine's serialiser's
 * job; it is passed in as `serialise` and sees image outputs already replaced by paths when they
 * went to files.
 */
import { extname, join } from "node:path";
import type { Writable } from "node:stream";
import { describeValue, type WorkflowErrorBody } from "../../errors/index.js";
import { WorkflowImage } from "../../images/index.js";
import { VideoSinkError } from "../errors.js";
import type { FfmpegTools } from "../ffmpeg.js";
import type { Tick } from "../multiplexer.js";
import { frameLine } from "../frame-record.js";
import type { FrameLine } from "../status.js";
import { ImageFileSink, safePathPart } from "./image-files.js";
import { JsonLinesSink } from "./json-lines.js";
import { VideoFileSink } from "./video-file.js";

export interface VideoOutputSpec {
  /** Workflow output holding an image. */
  output: string;
  /** File to write; with several sources, one file per source: `name_<source>.mp4`. */
  path: string;
  /** Default: the source's declared fps, else 30. */
  fps?: number;
}

export interface ResultSinksOptions {
  /** The engine's output serialiser (one frame's outputs → JSON-ready value). */
  serialise: (outputs: Record<string, unknown>) => unknown;
  /** Where lines are printed; default `process.stdout`, null for none. */
  stdout?: Writable | null;
  /** Folder for image files and `results.jsonl`. */
  outDir?: string;
  videoOutputs?: readonly VideoOutputSpec[];
  /** The run's `video_identifier`s, in order (decides whether video files get a source suffix). */
  sources: readonly string[];
  tools?: FfmpegTools;
  jpegQuality?: number;
}

const DEFAULT_VIDEO_FPS = 30;

/** `out/grid.mp4` for source "1" of several → `out/grid_1.mp4`. */
export function videoPathFor(path: string, source: string, sourceCount: number): string {
  if (sourceCount <= 1) return path;
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}_${safePathPart(source)}${extension}`;
}

export class ResultSinks {
  private readonly lines: JsonLinesSink[];
  private readonly images: ImageFileSink | null;
  private readonly videos = new Map<string, Promise<VideoFileSink>>();
  private closed = false;

  private constructor(
    private readonly options: ResultSinksOptions,
    lines: JsonLinesSink[],
  ) {
    this.lines = lines;
    this.images = options.outDir === undefined ? null : new ImageFileSink(options.outDir, options.jpegQuality);
  }

  static async open(options: ResultSinksOptions): Promise<ResultSinks> {
    const stdout = options.stdout === undefined ? process.stdout : options.stdout;
    const lines = await Promise.all([
      ...(stdout ? [JsonLinesSink.open(stdout)] : []),
      ...(options.outDir === undefined ? [] : [JsonLinesSink.open(join(options.outDir, "results.jsonl"))]),
    ]);
    return new ResultSinks(options, lines);
  }

  /**
   * Writes one tick's results, aligned with `tick.frames` (what `engine.run` returns for the
   * batch). A single result for a tick of several frames is taken to apply to each of them:
   * that is what a workflow whose outputs are all scalar returns
   * (docs/reference/workflows.md#run-results).
   */
  async write(tick: Tick, results: ReadonlyArray<Record<string, unknown>>, errors?: ReadonlyArray<WorkflowErrorBody | null>): Promise<FrameLine[]> {
    if (this.closed) throw new Error("result sinks are closed");
    if (results.length !== tick.frames.length && results.length !== 1) {
      throw new RangeError(`tick ${tick.index} has ${tick.frames.length} frames but ${results.length} results`);
    }
    const records = await Promise.all(
      tick.frames.map(async (frame, index) => {
        const outputs = results.length === 1 ? results[0] : results[index];
        const placed = await this.placeImages(outputs, frame.source, frame.frameNumber, frame.image.videoMetadata.fps);
        return frameLine(frame, (await this.options.serialise(placed)) as Record<string, unknown>, errors?.[index]);
      }),
    );
    for (const record of records) for (const sink of this.lines) await sink.write(record);
    return records;
  }

  private async placeImages(outputs: Record<string, unknown>, source: string, frameNumber: number, fps: number | null): Promise<Record<string, unknown>> {
    const placed: Record<string, unknown> = {};
    await Promise.all(
      Object.entries(outputs).map(async ([name, value]) => {
        const video = this.options.videoOutputs?.find((spec) => spec.output === name);
        if (video && value instanceof WorkflowImage) await (await this.videoFor(video, source, fps)).write(value);
        // null: the branch computing it did not run on this frame, which the video then lacks.
        else if (video && value !== null)
          throw new VideoSinkError(`output "${name}" is not an image (got ${describeValue(value)}): it cannot be written as a video`);
        placed[name] = await this.toFiles(value, name, source, frameNumber, "");
      }),
    );
    // Keep the workflow's output order, which Promise.all's completion order would not.
    return Object.fromEntries(Object.keys(outputs).map((name) => [name, placed[name]]));
  }

  /** Images anywhere in an output (lists and dicts too) → file paths, when writing to a folder. */
  private async toFiles(value: unknown, output: string, source: string, frameNumber: number, suffix: string): Promise<unknown> {
    if (!this.images) return value;
    if (value instanceof WorkflowImage) return this.images.write(output, source, frameNumber, value, suffix);
    if (Array.isArray(value)) {
      return Promise.all(value.map((item, index) => this.toFiles(item, output, source, frameNumber, `${suffix}_${index}`)));
    }
    if (isPlainObject(value)) {
      const entries = await Promise.all(
        Object.entries(value).map(
          async ([key, item]) => [key, await this.toFiles(item, output, source, frameNumber, `${suffix}_${safePathPart(key)}`)] as const,
        ),
      );
      return Object.fromEntries(entries);
    }
    return value;
  }

  private videoFor(spec: VideoOutputSpec, source: string, fps: number | null): Promise<VideoFileSink> {
    const key = `${spec.output}\0${source}`;
    let sink = this.videos.get(key);
    if (!sink) {
      const path = videoPathFor(spec.path, source, this.options.sources.length);
      sink = VideoFileSink.open(path, { fps: spec.fps ?? fps ?? DEFAULT_VIDEO_FPS, tools: this.options.tools });
      this.videos.set(key, sink);
    }
    return sink;
  }

  /** Video files written so far (one per output and source). */
  async videoPaths(): Promise<string[]> {
    return (await Promise.all(this.videos.values())).map((sink) => sink.path);
  }

  /**
   * Flushes and closes everything — lines, image files, video files — even if one of them
   * fails; then throws the first failure. Call it on SIGINT/SIGTERM too.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = [
      ...this.lines.map((sink) => sink.close()),
      ...(this.images ? [this.images.close()] : []),
      ...[...this.videos.values()].map(async (sink) => (await sink).close()),
    ];
    const failures = (await Promise.allSettled(closing)).filter((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failures.length > 0) throw failures[0].reason;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
