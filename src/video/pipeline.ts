/**
 * A workflow on video (docs/reference/workflows.md#video-frames, upstream's
 * `InferencePipeline.init_with_workflow`): ONE engine for the whole run, so stream blocks keep
 * their state; each tick's frames — one per source — go to the engine as one batch; results come
 * back per frame. One bad frame is reported with its source and frame number and the run goes on.
 *
 * The pipeline reports what happens (ticks, frame results, source events) to listeners: the
 * CLI's sinks and progress bar, and the server's stream manager and metrics, are all listeners.
 */
import { toErrorBody, type WorkflowErrorBody } from "../errors/index.js";
import { SourceConnectionError } from "./errors.js";
import type { WorkflowEngine } from "../executor/engine.js";
import { VideoMultiplexer, type MultiplexerOptions, type SourceFrame, type Tick } from "./multiplexer.js";
import { isLiveKind } from "./reference.js";
import { WorkflowImage } from "../images/index.js";
import type { VideoSourceSpec } from "./sources/open.js";
import type { FrameInfo } from "./sources/source.js";
import type { LatencySummary, PipelineState, PipelineStatus, SourceEvent, SourceStats } from "./status.js";
import { firedFlags } from "./flags.js";

/**
 * Default of `readAheadFrames`, frames with pixels: when every frame is piped, enough for a
 * 1 frame/s sampler at 30 fps to have the next two sampled frames in inference (one per
 * inference worker) while the frames between run.
 */
export const READ_AHEAD_FRAMES = 64;
/**
 * Whatever `readAheadFrames` says, frames read ahead hold at most about this many bytes as
 * decoded (4K frames: a few); frames CLIP has started on hold about three times that again (RGB
 * and the model's input).
 */
export const READ_AHEAD_BYTES = 64 * 1024 * 1024;
/**
 * Ticks read ahead at most, however small. Frames without pixels (no step reads them) cost next
 * to nothing, so a 1 frame/s sampler at 30 fps has ~17 sampled frames ahead — CLIP gets them in
 * batches — and this stays well inside what a sampler's forecast remembers (`Warmer`).
 */
export const READ_AHEAD_TICKS = 512;

export interface FrameResult {
  frame: SourceFrame;
  /** The frame's result dict (raw values); nulls where the frame failed. */
  outputs: Record<string, unknown>;
  /** Why this frame has no (complete) result. */
  error: WorkflowErrorBody | null;
  flagged: boolean;
}

export interface PipelineOptions {
  /** Compile it with `isolateElementErrors: true` so one bad frame does not fail its tick. */
  engine: WorkflowEngine;
  videos: ReadonlyArray<string | VideoSourceSpec>;
  /** Values of the workflow's other inputs, the same for every frame. */
  params?: Readonly<Record<string, unknown>>;
  maxFps?: number;
  /** Files and folders: process about this many frames per second of video, skipping the rest at the decoder. */
  sampleFps?: number;
  /** Frame size from the decoder (a side left out keeps the aspect ratio); default: the source's own. */
  frameSize?: { width?: number; height?: number };
  /**
   * Files and folders: frames (over all sources) taken from the decoders ahead of the engine, so
   * that CLIP embeds them in batches while the current frame runs, and starts on frames a
   * sampler will let through (default 64, and at most `readAheadBytes` of frames; 0: none).
   */
  readAheadFrames?: number;
  /** Files and folders: frames read ahead hold at most about this many bytes as decoded (default `READ_AHEAD_BYTES`, 64 MiB). */
  readAheadBytes?: number;
  /**
   * Pipe every frame of a video file from the decoder, even those whose pixels the workflow will
   * not read (by default, when that is known ahead — a rate limiter on video time in front of
   * every step reading the image — they reach the engine with their metadata only).
   */
  decodeEveryFrame?: boolean;
  /** Workflow input the frames feed (default "image"). */
  imageInputName?: string;
  /** Workflow input for the frames' metadata, used when the workflow declares it (default "video_metadata"). */
  videoMetadataInputName?: string;
  /**
   * Boolean outputs that mark a frame as flagged, at the top level or one level down (default:
   * those named `is_outlier` or `…_is_outlier`, see `isFlagOutput`).
   */
  flagOutputs?: readonly string[];
  /** Called for every processed tick, in order; awaited before the next tick (sinks). */
  onTick?: (tick: Tick, results: FrameResult[]) => void | Promise<void>;
  onSourceEvent?: (event: SourceEvent) => void;
  multiplexer?: Omit<MultiplexerOptions, "maxFps" | "imageInputName" | "onEvent">;
}

/** Recent latencies, ms: count and mean over the run, percentiles over the last 1024. */
export class LatencyStats {
  private readonly recent: number[] = [];
  private next = 0;
  count = 0;
  total = 0;

  add(ms: number): void {
    this.count++;
    this.total += ms;
    if (this.recent.length < 1024) this.recent.push(ms);
    else this.recent[this.next++ % 1024] = ms;
  }

  summary(): LatencySummary {
    const sorted = [...this.recent].sort((a, b) => a - b);
    const quantile = (q: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return { count: this.count, mean_ms: this.count ? this.total / this.count : null, p50_ms: quantile(0.5), p99_ms: quantile(0.99) };
  }
}

/**
 * A frame is flagged when one of the flag outputs is true, at the top level or one level down
 * (an output holding a step's every output, `$steps.x.*`); default: those `isFlagOutput` names.
 */
export function isFlagged(outputs: Record<string, unknown>, names?: readonly string[]): boolean {
  return firedFlags(outputs, names).length > 0;
}

export class VideoPipeline {
  private state: PipelineState = "starting";
  private multiplexer: VideoMultiplexer | null = null;
  private paused: { promise: Promise<void>; resume: () => void } | null = null;
  private startedAt = Date.now();
  private endedAt: number | null = null;
  private counts = { ticks: 0, frames: 0, flagged: 0, errors: 0 };
  private failure: WorkflowErrorBody | null = null;
  /** Settles when the tick being processed (engine run and `onTick`) is done; null between ticks. */
  private ticking: Promise<void> | null = null;
  /** Each failed source's last reason, for the failure of a run none of whose sources could be read. */
  private readonly sourceFailures = new Map<string, string>();
  private readonly latency = { wait: new LatencyStats(), inference: new LatencyStats(), end_to_end: new LatencyStats() };
  private readonly flagNames: readonly string[] | undefined;
  private readonly imageInput: string;
  private readonly metadataInput: string;
  private readonly declaresMetadata: boolean;

  constructor(private readonly options: PipelineOptions) {
    this.flagNames = options.flagOutputs;
    this.imageInput = options.imageInputName ?? "image";
    this.metadataInput = options.videoMetadataInputName ?? "video_metadata";
    this.declaresMetadata = options.engine.plan.inputsByName.has(this.metadataInput);
  }

  /** Opens the sources and processes every tick until they end or `stop()` is called. */
  async run(): Promise<PipelineStatus> {
    this.startedAt = Date.now();
    try {
      this.multiplexer = await VideoMultiplexer.open(this.options.videos, {
        ...this.options.multiplexer,
        sourceDefaults: {
          ...this.options.multiplexer?.sourceDefaults,
          sampleFps: this.options.sampleFps,
          scale: this.options.frameSize,
          pixelDemand: this.pixelDemand(),
        },
        maxFps: this.options.maxFps,
        imageInputName: this.imageInput,
        onEvent: (event) => {
          if (event.type === "failed") this.sourceFailures.set(event.source, event.message);
          this.options.onSourceEvent?.(event);
        },
      });
      if (this.state === "stopping") await this.multiplexer.stop();
      else if (this.state === "starting") this.state = "running";
      await this.loop(this.multiplexer);
      this.finish(this.multiplexer.stats());
    } catch (error) {
      this.failure = toErrorBody(error);
      this.state = "failed";
      await this.multiplexer?.stop();
      throw error;
    } finally {
      this.endedAt = Date.now();
    }
    return this.status();
  }

  /**
   * Files and folders: the next ticks (`readAheadFrames` frames with pixels, `readAheadBytes`,
   * `READ_AHEAD_TICKS` at most) are taken while the current one runs, and their frames warm the
   * engine: CLIP starts embedding them, and the frames that pile up while an inference runs go
   * to the next one together, as a batch. Live sources are not read ahead: a tick taken early
   * would hand the engine staler frames.
   */
  private async loop(multiplexer: VideoMultiplexer): Promise<void> {
    const live = multiplexer.sources.some((source) => isLiveKind(source.kind));
    const budget = live ? 0 : (this.options.readAheadFrames ?? READ_AHEAD_FRAMES);
    const maxBytes = this.options.readAheadBytes ?? READ_AHEAD_BYTES;
    const engine = this.options.engine;
    // A tick with the workflow inputs it makes, and what its frames hold until they run.
    const taken = (tick: Tick) => ({
      tick,
      inputs: this.inputsFor(tick),
      frames: tick.frames.filter((frame) => frame.bytes > 0).length,
      bytes: tick.frames.reduce((sum, frame) => sum + frame.bytes, 0),
    });
    const readTick = () => multiplexer.next().then((tick) => tick && taken(tick));
    const upcoming: ReturnType<typeof readTick>[] = [];
    // What the ticks taken ahead hold. A read not yet answered counts as a tick of full frames,
    // as large as the largest seen (before any is seen, one read at a time: 4K frames are 12 MB).
    const ahead = { reading: 0, frames: 0, bytes: 0, largestTick: 0, ended: false };
    const unanswered = () => (ahead.largestTick > 0 ? ahead.reading * ahead.largestTick : ahead.reading > 0 ? Infinity : 0);
    // Every tick read ahead warms the engine in order, the first one too: a forecast of a
    // sampler (see `Warmer`) must see every frame. Answers make room for more reads.
    const fill = () => {
      while (
        !ahead.ended &&
        upcoming.length < READ_AHEAD_TICKS &&
        ahead.frames + ahead.reading * multiplexer.sources.length < budget &&
        ahead.bytes + unanswered() < maxBytes
      ) {
        ahead.reading++;
        const next = readTick();
        upcoming.push(next);
        next.then(
          (read) => {
            ahead.reading--;
            if (!read) {
              ahead.ended = true;
              return;
            }
            ahead.frames += read.frames;
            ahead.bytes += read.bytes;
            ahead.largestTick = Math.max(ahead.largestTick, read.bytes);
            engine.warm(read.inputs);
            fill();
          },
          () => {
            // reported where the loop awaits it
            ahead.reading--;
            ahead.ended = true;
          },
        );
      }
    };
    if (budget > 0) fill();
    for (;;) {
      const waitStarted = performance.now();
      const readAhead = upcoming.shift();
      const read = await (readAhead ?? readTick());
      if (!read) return;
      if (readAhead) {
        ahead.frames -= read.frames;
        ahead.bytes -= read.bytes;
      }
      const { tick } = read;
      const tickReady = performance.now();
      this.latency.wait.add(tickReady - waitStarted);
      if (this.paused) {
        await this.paused.promise;
        // Stopped while paused: the tick in hand stays unprocessed (a file resumed later reads it again).
        if (this.state === "stopping") return;
      }
      if (budget > 0) fill();
      let tickDone = () => {};
      this.ticking = new Promise((resolve) => (tickDone = resolve));
      try {
        const results = await this.process(tick, read.inputs);
        this.latency.inference.add(performance.now() - tickReady);
        await this.options.onTick?.(tick, results);
      } finally {
        this.ticking = null;
        tickDone();
      }
      const done = performance.now();
      for (let i = 0; i < tick.frames.length; i++) this.latency.end_to_end.add(done - tickReady);
    }
  }

  /** The engine's pixel demand over frames as the sources know them before decoding. */
  private pixelDemand(): (() => (frame: FrameInfo) => boolean) | undefined {
    const demand = this.options.decodeEveryFrame ? null : this.options.engine.pixelDemand(this.imageInput, this.options.params);
    if (!demand) return undefined;
    return () => {
      const forecast = demand();
      return ({ width, height, metadata }) =>
        forecast({
          [this.imageInput]: new WorkflowImage({ width, height, data: notDecodedYet, parentId: this.imageInput, videoMetadata: metadata }),
          [this.metadataInput]: metadata,
        });
    };
  }

  private inputsFor(tick: Tick): Record<string, unknown> {
    const inputs: Record<string, unknown> = { ...this.options.params, [this.imageInput]: tick.frames.map((frame) => frame.image) };
    if (this.declaresMetadata) inputs[this.metadataInput] = tick.frames.map((frame) => frame.image.videoMetadata);
    return inputs;
  }

  private async process(tick: Tick, inputs: Record<string, unknown>): Promise<FrameResult[]> {
    this.counts.ticks++;
    this.counts.frames += tick.frames.length;
    let outcome;
    try {
      outcome = await this.options.engine.runDetailed(inputs);
    } catch (error) {
      // The whole tick failed (e.g. a scalar step threw): every frame gets the error.
      const body = toErrorBody(error);
      this.counts.errors += tick.frames.length;
      return tick.frames.map((frame) => ({ frame, outputs: {}, error: body, flagged: false }));
    }
    const errorsByIndex = new Map(outcome.errors.map((failure) => [failure.index, failure.error.toBody()]));
    return tick.frames.map((frame, index) => {
      // A workflow without batch outputs answers one result for the whole tick (docs/reference/workflows.md#run-results).
      const outputs = outcome.results.length === 1 ? outcome.results[0] : outcome.results[index];
      const error = errorsByIndex.get(index) ?? null;
      const flagged = error === null && isFlagged(outputs, this.flagNames);
      if (error) this.counts.errors++;
      if (flagged) this.counts.flagged++;
      return { frame, outputs, error, flagged };
    });
  }

  pause(): void {
    if (this.paused || (this.state !== "running" && this.state !== "starting")) return;
    let resume = () => {};
    const promise = new Promise<void>((resolve) => (resume = resolve));
    this.paused = { promise, resume };
    this.state = "paused";
  }

  resume(): void {
    if (!this.paused) return;
    const { resume } = this.paused;
    this.paused = null;
    this.state = "running";
    resume();
  }

  /**
   * Calls `take` between two ticks — after the tick in progress, if any, and its `onTick` — so
   * that what it reads of the engine (a snapshot) matches the frames processed so far.
   */
  async betweenTicks<T>(take: () => T): Promise<T> {
    while (this.ticking) await this.ticking;
    return take();
  }

  /** Stops the sources; `run()` then finishes the tick in progress and resolves. */
  async stop(): Promise<void> {
    if (this.state === "finished" || this.state === "failed") return;
    this.state = "stopping";
    this.resume();
    this.state = "stopping";
    await this.multiplexer?.stop();
  }

  get currentState(): PipelineState {
    return this.state;
  }

  /** A run none of whose sources could be read has failed, though its loop ended normally. */
  private finish(sources: readonly SourceStats[]): void {
    if (sources.length === 0 || sources.some((source) => source.state !== "failed")) {
      this.state = "finished";
      return;
    }
    const reasons = sources.map((source) => `${source.source}: ${this.sourceFailures.get(source.source) ?? "failed"}`);
    this.failure = toErrorBody(new SourceConnectionError(`No source could be read (${reasons.join("; ")})`));
    this.state = "failed";
  }

  status(): PipelineStatus {
    const sources = this.multiplexer?.stats() ?? [];
    const elapsed = ((this.endedAt ?? Date.now()) - this.startedAt) / 1000;
    return {
      state: this.state,
      ...this.counts,
      dropped: sources.reduce((sum, source) => sum + source.framesDropped, 0),
      fps: elapsed > 0 ? this.counts.frames / elapsed : 0,
      elapsed_s: elapsed,
      sources,
      latency: { wait: this.latency.wait.summary(), inference: this.latency.inference.summary(), end_to_end: this.latency.end_to_end.summary() },
      failure: this.failure,
    };
  }
}

function notDecodedYet(): never {
  throw new Error("a frame's pixels were read while planning which frames to decode");
}
