/**
 * Several sources in one run, one frame per source per tick (upstream's `multiplex_videos`).
 *
 * A tick holds the next frame of every file/folder source that is still going (files wait for
 * each other, so they advance in step) and the freshest frame of every live source that got a
 * new one since the last tick. Live sources get at most `batchCollectionTimeoutMs` to deliver once
 * a tick has started collecting, so one slow or reconnecting camera never holds the others up.
 * A source that ends or fails leaves the ticks; the iteration ends when all sources have.
 *
 * Decoding overlaps processing at the sources: files and folders decode `prefetchFrames` ahead
 * and live sources decode continuously. Ticks themselves are assembled when asked for, not
 * ahead: an early tick would hand the engine live frames that are older than necessary.
 *
 * `maxFps` paces ticks (upstream's FPS limiter). Files then wait — every frame is still
 * processed, only slower — and live sources drop what arrives in between (upstream's WAIT
 * strategy for files and DROP for streams). Frames of files are never skipped.
 */
import { RuntimeInputError } from "../errors/index.js";
import { WorkflowImage } from "../images/index.js";
import { findFfmpeg, type FfmpegTools } from "./ffmpeg.js";
import { checkSourceSpec, createSource, needsFfmpeg, resolveKinds, type SourceDefaults, type VideoSourceSpec } from "./sources/open.js";
import { Signal, type FrameSource } from "./sources/source.js";
import type { SourceEvent, SourceStats } from "./status.js";

export interface SourceFrame {
  /** The source's `video_identifier`. */
  source: string;
  /** Position of the source in the run, 0-based. */
  sourceIndex: number;
  /** 1-based; consecutive for files, with gaps where a live source dropped frames. */
  frameNumber: number;
  timestamp: Date;
  /** RGB pixels with `videoMetadata` set; parent id `<imageInputName>.[<position in the tick>]` as upstream names batch elements. */
  image: WorkflowImage;
  /** Memory the frame holds until its pixels are read (0: a frame without pixels, see `SourceOptions.pixelDemand`). */
  bytes: number;
}

export interface Tick {
  /** 1-based count of ticks. */
  index: number;
  /** In source order; sources without a frame this tick are absent. */
  frames: SourceFrame[];
}

export interface MultiplexerOptions {
  /** Upper bound on ticks per second (see the module comment); default: as fast as processed. */
  maxFps?: number;
  /** How long a tick waits for live sources without a new frame, ms (default 100). */
  batchCollectionTimeoutMs?: number;
  /** Workflow input the frames feed, for the images' parent ids (default "image"). */
  imageInputName?: string;
  /** Applied to every source unless its spec says otherwise. */
  sourceDefaults?: SourceDefaults;
  onEvent?: (event: SourceEvent) => void;
  /** Already located FFmpeg; default: `findFfmpeg()` when any source needs it. */
  tools?: FfmpegTools;
}

export const DEFAULT_BATCH_COLLECTION_TIMEOUT_MS = 100;

export class VideoMultiplexer implements AsyncIterable<Tick> {
  readonly sources: readonly FrameSource[];
  private readonly changed = new Signal();
  private readonly unsubscribe: Array<() => void>;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private tickCount = 0;
  private lastTickAt = -Infinity;
  private pending: Promise<Tick | null> = Promise.resolve(null);

  /**
   * Opens every source and starts decoding. Throws `FfmpegNotFoundError` if a source needs FFmpeg
   * and there is none, and `RuntimeInputError` for bad options; a source that cannot be read is
   * reported through `onEvent` (`failed`) and leaves the run, it does not throw.
   */
  static async open(references: ReadonlyArray<string | VideoSourceSpec>, options: MultiplexerOptions = {}): Promise<VideoMultiplexer> {
    if (references.length === 0) throw new RuntimeInputError("no video source given");
    if (options.maxFps !== undefined && !(options.maxFps > 0)) throw new RuntimeInputError(`max fps must be positive, got ${options.maxFps}`);
    const specs = references.map((reference) => ({ ...options.sourceDefaults, ...(typeof reference === "string" ? { reference } : reference) }));
    const ids = specs.map((spec, index) => spec.name ?? String(index));
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate !== undefined) throw new RuntimeInputError(`two video sources are named "${duplicate}"; names must be unique`);
    specs.forEach((spec, index) => checkSourceSpec(spec, ids[index]));
    const kinds = await resolveKinds(specs);
    const tools = kinds.some((resolved) => needsFfmpeg(resolved.kind)) ? (options.tools ?? (await findFfmpeg())) : null;
    const sources = specs.map((spec, index) => createSource(spec, kinds[index], ids[index], { tools, onEvent: options.onEvent }));
    const multiplexer = new VideoMultiplexer(sources, options);
    for (const source of sources) source.start();
    return multiplexer;
  }

  private constructor(
    sources: FrameSource[],
    private readonly options: MultiplexerOptions,
  ) {
    this.sources = sources;
    this.unsubscribe = sources.map((source) => source.subscribe(() => this.changed.notify()));
  }

  stats(): SourceStats[] {
    return this.sources.map((source) => source.stats());
  }

  /** The next tick, or null once every source has ended or `stop()` was called. */
  next(): Promise<Tick | null> {
    // Serialised: two overlapping calls must not split one tick's frames between them.
    this.pending = this.pending.then(() => this.collect());
    return this.pending;
  }

  [Symbol.asyncIterator](): AsyncIterator<Tick> {
    return {
      next: async () => {
        const tick = await this.next();
        return tick ? { value: tick, done: false } : { value: undefined, done: true };
      },
      // `break` out of a for-await loop stops the sources.
      return: async () => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  /** Stops every source; resolves once all ffmpeg children have exited. Safe to call repeatedly. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopping = true;
      this.changed.notify();
      this.stopped = Promise.all(this.sources.map((source) => source.stop())).then(() => {
        for (const unsubscribe of this.unsubscribe) unsubscribe();
      });
    }
    return this.stopped;
  }

  private async collect(): Promise<Tick | null> {
    if (this.options.maxFps !== undefined) await this.waitUntil(this.lastTickAt + 1000 / this.options.maxFps);
    for (;;) {
      if (this.stopping) return null;
      const active = this.sources.filter((source) => !source.done);
      if (active.length === 0) return null;
      if (!active.some((source) => source.hasFrame)) {
        await this.waitForChange(null);
        continue;
      }
      await this.gather(active);
      if (this.stopping) return null;
      const frames: SourceFrame[] = [];
      for (const source of active) {
        const frame = source.take();
        if (!frame) continue;
        const image = new WorkflowImage({
          width: frame.width,
          height: frame.height,
          data: frame.data,
          parentId: `${this.options.imageInputName ?? "image"}.[${frames.length}]`,
          videoMetadata: frame.metadata,
        });
        frames.push({
          source: source.id,
          sourceIndex: this.sources.indexOf(source),
          frameNumber: frame.metadata.frame_number,
          timestamp: frame.metadata.frame_timestamp,
          image,
          bytes: frame.bytes,
        });
      }
      if (frames.length === 0) continue;
      this.lastTickAt = Date.now();
      return { index: ++this.tickCount, frames };
    }
  }

  /** Files and folders: until they have their next frame or end. Live sources: until the deadline at most. */
  private async gather(active: readonly FrameSource[]): Promise<void> {
    const deadline = Date.now() + (this.options.batchCollectionTimeoutMs ?? DEFAULT_BATCH_COLLECTION_TIMEOUT_MS);
    for (;;) {
      if (this.stopping) return;
      const liveTimeLeft = deadline - Date.now();
      const waiting = active.filter((source) => !source.hasFrame && !source.done && (!source.live || liveTimeLeft > 0));
      if (waiting.length === 0) return;
      await this.waitForChange(waiting.some((source) => !source.live) ? null : liveTimeLeft);
    }
  }

  /** Until any source changes, `stop()` is called, or `timeoutMs` passes (null: no timeout). */
  private async waitForChange(timeoutMs: number | null): Promise<void> {
    if (this.stopping) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = timeoutMs === null ? [] : [new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))];
    await Promise.race([this.changed.wait(), ...timeout]);
    clearTimeout(timer);
  }

  private async waitUntil(timeMs: number): Promise<void> {
    while (!this.stopping && Date.now() < timeMs) await this.waitForChange(timeMs - Date.now());
  }
}
