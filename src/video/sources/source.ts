/**
 * What every source shares: identity, counters, events, and the `ready()`/`take()` hand-over the
 * multiplexer builds ticks from. Files and folders queue a few frames ahead (decoding overlaps
 * processing; a full queue pauses the decoder, so nothing is dropped); live sources keep only the
 * freshest frame.
 */
import { stat } from "node:fs/promises";
import type { VideoMetadata } from "../../images/index.js";
import type { FfmpegTools } from "../ffmpeg.js";
import type { RawFrame } from "../ppm.js";
import { shownReference } from "../reference.js";
import type { EventBase, SourceEvent, SourceKind, SourceState, SourceStats } from "../status.js";
import { RollingRate, type BackoffOptions } from "../timing.js";

/** One decoded frame with the metadata the engine sees as `video_metadata`. */
export interface DecodedFrame extends RawFrame {
  metadata: VideoMetadata;
}

/** A frame as known before decoding it. */
export type FrameInfo = Pick<DecodedFrame, "width" | "height" | "metadata">;

export interface ReconnectOptions extends BackoffOptions {
  /** A live source that delivers no frame for this long is restarted, ms. */
  stallTimeoutMs: number;
  /** Give up (event `failed`) after this many attempts in a row without a frame; Infinity = never. */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 10_000,
  stallTimeoutMs: 10_000,
  maxAttempts: Infinity,
};

/** Image folders play at this rate unless told otherwise: upstream's fps for images without metadata. */
export const DEFAULT_FOLDER_FPS = 30;
export const DEFAULT_PREFETCH_FRAMES = 8;

export interface SourceOptions {
  /** `video_identifier`: the user's name, else the position ("0", "1", …) as upstream's `str(source_id)`. */
  id: string;
  reference: string;
  /** Shown instead of the reference (see `VideoSourceSpec.shownAs`). */
  shownAs?: string;
  kind: SourceKind;
  /** Output size; omit a side to keep the aspect ratio. Default: the source's own size. */
  scale?: { width?: number; height?: number };
  /** Extra ffmpeg input options, e.g. `["-video_size", "1280x720"]` for a webcam. */
  inputArgs?: readonly string[];
  /** Files and folders: frames decoded ahead of the consumer. */
  prefetchFrames?: number;
  /**
   * Files and folders: process only about this many frames per second of video — every
   * round(fps / sampleFps)-th frame, keeping its own frame number. The others are decoded (a
   * video needs them) but never converted, piped or run.
   */
  sampleFps?: number;
  /**
   * Video files: which of the given frames some step will read the pixels of, known from their
   * metadata alone (see `WorkflowEngine.pixelDemand`). The others are decoded (a video needs
   * them) but never converted or piped, and reach the engine with metadata and no pixels.
   */
  pixelDemand?: () => (frame: FrameInfo) => boolean;
  /** Image folders: frame rate used for timestamps. */
  fps?: number;
  /**
   * The frames already processed (a resumed run): files and folders deliver none of frames 1…N
   * and every later frame as a run from the start has it; live sources number their frames from
   * N + 1. A whole number ≥ 0 (checked by `checkSourceSpec`). Default 0.
   */
  startAfterFrame?: number;
  reconnect?: Partial<ReconnectOptions>;
  /** Required for every kind but image folders. */
  tools?: FfmpegTools | null;
  onEvent?: (event: SourceEvent) => void;
}

/** Wakes everyone waiting for "something changed". */
export class Signal {
  private waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export abstract class FrameSource {
  readonly id: string;
  readonly kind: SourceKind;
  /** The reference as given (it may hold credentials: print `stats().reference`). */
  readonly reference: string;
  /** What stats, events and messages show (`shownReference`). */
  private readonly shown: string;
  abstract readonly live: boolean;

  protected state: SourceState = "starting";
  protected stopping = false;
  protected framesDecoded = 0;
  protected framesDelivered = 0;
  protected framesDropped = 0;
  protected framesWithoutPixels = 0;
  /** `startAfterFrame`: the frame before the first this run may deliver. */
  protected readonly startAfter: number;
  protected reconnects = 0;
  protected errors = 0;
  protected declaredFps: number | null = null;
  protected totalFrames: number | null = null;
  protected readonly rate = new RollingRate();
  private readonly listeners = new Set<() => void>();
  private running: Promise<void> | null = null;
  private readonly onEvent: (event: SourceEvent) => void;
  private lastErrorFrame: number | null | undefined = undefined;

  constructor(protected readonly options: SourceOptions) {
    this.id = options.id;
    this.kind = options.kind;
    this.reference = options.reference;
    this.shown = shownReference(options);
    this.startAfter = options.startAfterFrame ?? 0;
    this.onEvent = options.onEvent ?? (() => undefined);
  }

  /** Starts decoding in the background. Problems become events; this never throws. */
  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.fail(`unexpected failure: ${(error as Error).message ?? String(error)}`);
    });
  }

  /** The frame to hand out now, if any (removes it). */
  abstract take(): DecodedFrame | undefined;
  abstract get hasFrame(): boolean;
  protected abstract run(): Promise<void>;
  /** Ends child processes and timers so that `run()` returns promptly. */
  protected abstract interrupt(): Promise<void>;
  protected abstract discardFrames(): void;

  /** True once the source will produce nothing more and nothing is left to take. */
  get done(): boolean {
    return !this.hasFrame && (this.state === "ended" || this.state === "failed" || this.state === "stopped");
  }

  /**
   * Calls `listener` whenever a frame arrives or the source finishes. (A listener rather than a
   * promise per wait: a tick waiting with a timeout on a silent source would otherwise leave one
   * pending reaction behind per tick.)
   */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Stops decoding; resolves once child processes have exited. Frames not taken are discarded. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      await this.interrupt();
    }
    await this.running;
    if (this.state !== "ended" && this.state !== "failed") this.state = "stopped";
    this.discardFrames();
    this.changed();
  }

  stats(): SourceStats {
    return {
      source: this.id,
      reference: this.shown,
      kind: this.kind,
      state: this.state,
      framesDecoded: this.framesDecoded,
      framesDelivered: this.framesDelivered,
      framesDropped: this.framesDropped,
      framesWithoutPixels: this.framesWithoutPixels,
      reconnects: this.reconnects,
      errors: this.errors,
      declaredFps: this.declaredFps,
      measuredFps: this.rate.perSecond,
      totalFrames: this.totalFrames,
    };
  }

  /** Stamps a decoded frame: counts it and builds its `video_metadata`. */
  protected stamp(frame: RawFrame, frameNumber: number, timestamp: Date, fromFile: boolean): DecodedFrame {
    this.framesDecoded++;
    this.rate.record(Date.now());
    return { ...frame, metadata: this.frameMetadata(frameNumber, timestamp, fromFile, this.rate.perSecond) };
  }

  /** A frame's `video_metadata`; `measuredFps` is null for a frame not decoded yet. */
  protected frameMetadata(frameNumber: number, timestamp: Date, fromFile: boolean, measuredFps: number | null): VideoMetadata {
    return {
      video_identifier: this.id,
      frame_number: frameNumber,
      frame_timestamp: timestamp,
      fps: this.declaredFps,
      measured_fps: measuredFps,
      comes_from_video_file: fromFile,
    };
  }

  protected emit(event: SourceEvent): void {
    if (event.type === "error" || event.type === "failed") this.errors++;
    try {
      this.onEvent(event);
    } catch {
      // A faulty listener must not take the decoder down with it.
    }
  }

  protected base(): EventBase {
    return { source: this.id, reference: this.shown };
  }

  /** One error event per frame: a damaged frame makes ffmpeg log several lines. */
  protected reportError(frameNumber: number | null, message: string): void {
    if (frameNumber !== null && frameNumber === this.lastErrorFrame) return;
    this.lastErrorFrame = frameNumber;
    this.emit({ ...this.base(), type: "error", frameNumber, message: this.redact(message) });
  }

  protected fail(message: string): void {
    this.state = "failed";
    this.emit({ ...this.base(), type: "failed", message: this.redact(message) });
    this.changed();
  }

  protected end(): void {
    this.state = "ended";
    this.emit({ ...this.base(), type: "ended", frames: this.framesDecoded });
    this.changed();
  }

  /** ffmpeg repeats the input URL in its messages; keep passwords (and hidden paths) out of events. */
  protected redact(message: string): string {
    return this.shown === this.reference ? message : message.split(this.reference).join(this.shown);
  }
}

/**
 * Files and folders: a bounded queue between decoder and consumer. `put` waits while it is full,
 * which stops reading ffmpeg's stdout and so pauses ffmpeg itself (pipe backpressure).
 */
export abstract class QueuedSource extends FrameSource {
  readonly live = false;
  private readonly queue: DecodedFrame[] = [];
  private readonly space = new Signal();

  get hasFrame(): boolean {
    return this.queue.length > 0;
  }

  take(): DecodedFrame | undefined {
    const frame = this.queue.shift();
    if (frame) {
      this.framesDelivered++;
      this.space.notify();
    }
    return frame;
  }

  /** Resolves false if the source is stopping (the frame is then discarded). */
  protected async put(frame: DecodedFrame): Promise<boolean> {
    const capacity = Math.max(1, this.options.prefetchFrames ?? DEFAULT_PREFETCH_FRAMES);
    while (this.queue.length >= capacity && !this.stopping) await this.space.wait();
    if (this.stopping) return false;
    this.queue.push(frame);
    this.changed();
    return true;
  }

  protected discardFrames(): void {
    this.queue.length = 0;
  }

  protected override async interrupt(): Promise<void> {
    this.space.notify();
  }
}

/**
 * Upstream stamps frame i of a file at `(mtime − frames/fps) + (i−1)/fps`: as if the recording
 * ended when the file was last written. An image folder is dated by its own mtime, which changes
 * when images are added, removed or renamed — so a run resumed after frame N stamps every later
 * frame as a run from the start did. Remote files (no mtime) start now.
 */
export async function recordingStartMs(reference: string, totalFrames: number | null, fps: number): Promise<number> {
  try {
    const { mtimeMs } = await stat(reference);
    return totalFrames === null ? mtimeMs : mtimeMs - (totalFrames * 1000) / fps;
  } catch {
    return Date.now();
  }
}
