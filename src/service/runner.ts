/**
 * One pipeline run on a store (docs/guides/service.md#checkpoints): a `VideoPipeline` on an
 * engine restored from the pipeline's last checkpoint, each source started after the frame it had
 * reached, every tick's results appended to the store (idempotent, so frames run again after a
 * crash are stored once), and a checkpoint between ticks every so often and whenever the run is
 * paused or handed over. Whether the store is memory, a folder or Redis is not its concern.
 */
import type { WorkflowErrorBody } from "../errors/index.js";
import { EventRecorder, flaggedPictures, jpegDataUrl, thumbnailJpeg, type EventStore, type Snapshot } from "../events/index.js";
import { serialiseValue } from "../executor/serialise.js";
import type { WorkflowEngine } from "../executor/engine.js";
import type { WorkflowImage } from "../images/index.js";
import { frameRecord } from "../video/frame-record.js";
import {
  isLiveKind,
  resolveKinds,
  VideoPipeline,
  type FrameRecord,
  type FrameResult,
  type PipelineState,
  type PipelineStatus,
  type VideoSourceSpec,
} from "../video/index.js";
import { shownReference } from "../video/reference.js";
import { CHECKPOINT_EVERY_TICKS, CHECKPOINT_INTERVAL_MS } from "./defaults.js";
import type { Checkpoint, FrameErrorCounter, PipelineEvent, PipelineRecord, PipelineStore, RunCounts, ServiceLog, TimedSourceEvent } from "./types.js";
import { upstreamReportKeys, type PipelineReport } from "./upstream-report.js";

/** Source events a report keeps, newest last. */
const SOURCE_EVENTS_KEPT = 32;

/** A small JPEG data URL of a frame (≤ 160 px wide) for galleries of flagged frames. */
export async function thumbnailDataUrl(image: WorkflowImage): Promise<string> {
  return jpegDataUrl(await thumbnailJpeg(image));
}

export interface RunnerOptions {
  record: PipelineRecord;
  /** Where the run resumes from; none: from the start. */
  checkpoint?: Checkpoint;
  store: PipelineStore;
  /** Compiled with `isolateElementErrors`, restored from `checkpoint.engine`, ready; the runner closes it. */
  engine: WorkflowEngine;
  onFrameError?: FrameErrorCounter;
  log?: ServiceLog;
  checkpointEveryTicks?: number;
  checkpointIntervalMs?: number;
  /** Flagged frames' thumbnails go to the store with their results (Redis: for the live view of every replica). */
  storeThumbnails?: boolean;
  /** Flagged frames become events there (docs/reference/events.md), each before the checkpoint that covers its frame. */
  events?: EventStore;
}

/** How a run ended: by itself (`finished`, `failed`), terminated, or stopped to resume elsewhere (`suspended`). */
export type RunEnd = "finished" | "failed" | "terminated" | "suspended";

export const ZERO_COUNTS: RunCounts = { ticks: 0, frames: 0, flagged: 0, errors: 0 };

export class PipelineRunner {
  readonly id: string;
  private readonly pipeline: VideoPipeline;
  private readonly store: PipelineStore;
  private readonly engine: WorkflowEngine;
  private readonly base: { counts: RunCounts; elapsed_s: number };
  private readonly positions: Array<number | null>;
  private readonly sourceEvents: TimedSourceEvent[];
  /** Each source's frame size (by position), from its first processed frame. */
  private readonly frameSizes: Array<{ width: number; height: number } | undefined> = [];
  private readonly listeners = new Set<(event: PipelineEvent) => void>();
  private stopping: "terminated" | "suspended" | null = null;
  private ticksSinceCheckpoint = 0;
  private lastCheckpointAt = Date.now();
  private readonly every: { ticks: number; ms: number };
  /** Flagged frames become events, with the frames around them; none without an event store. */
  private readonly events: EventRecorder | null;
  /** Settles with how the run ended, once its end is recorded. */
  readonly done: Promise<RunEnd>;

  /** Starts the run at once; `start` works out where each source resumes. */
  private constructor(
    private readonly options: RunnerOptions,
    startAfter: Array<number | undefined>,
    resumedEvents: TimedSourceEvent[],
  ) {
    const { record, checkpoint, store, engine } = options;
    this.id = record.id;
    this.store = store;
    this.engine = engine;
    this.every = { ticks: options.checkpointEveryTicks ?? CHECKPOINT_EVERY_TICKS, ms: options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS };
    this.base = { counts: checkpoint?.counts ?? ZERO_COUNTS, elapsed_s: checkpoint?.elapsed_s ?? 0 };
    this.positions = record.spec.videos.map((_, index) => checkpoint?.positions[index] ?? null);
    this.sourceEvents = [...(checkpoint?.source_events ?? []), ...resumedEvents].slice(-SOURCE_EVENTS_KEPT);
    const spec = record.spec;
    // An event that cannot be written (the disk is full) is logged and the pipeline goes on: the
    // record serves the stream, not the other way round.
    this.events = options.events
      ? new EventRecorder(options.events, {
          pipelineId: record.id,
          flagOutputs: spec.flagOutputs,
          onError: (error, frameNumber) => options.log?.warn({ pipeline_id: this.id, frame_number: frameNumber, reason: error.message }, "event not recorded"),
        })
      : null;
    this.pipeline = new VideoPipeline({
      engine,
      videos: spec.videos.map((video, index) => (startAfter[index] === undefined ? video : { ...video, startAfterFrame: startAfter[index] })),
      params: spec.params,
      maxFps: spec.maxFps,
      sampleFps: spec.sampleFps,
      frameSize: spec.frameSize,
      decodeEveryFrame: spec.decodeEveryFrame,
      imageInputName: spec.imageInputName,
      videoMetadataInputName: spec.videoMetadataInputName,
      flagOutputs: spec.flagOutputs,
      onSourceEvent: (event) => {
        this.addSourceEvent({ ...event, at: new Date().toISOString() });
        if (event.type === "failed")
          options.log?.warn({ pipeline_id: this.id, source: event.source, reference: event.reference, reason: event.message }, "pipeline source failed");
      },
      onTick: (_tick, results) => this.record(results),
    });
    options.log?.info(
      {
        pipeline_id: this.id,
        sources: shownSources(spec.videos).map((source) => source.reference),
        ...(checkpoint ? { resumed_after: checkpoint.positions } : {}),
      },
      checkpoint ? "pipeline resumed" : "pipeline started",
    );
    // A failed run is recorded in the status (`state: "failed"`, `failure`); nothing to rethrow to.
    this.done = this.pipeline
      .run()
      .then(
        () => this.end(),
        () => this.end(),
      )
      .finally(() => engine.close().catch(() => undefined));
  }

  /**
   * Starts `options.record` from its checkpoint: files and folders after the checkpoint's frame
   * (the frames after it run again and their stored results are kept), live sources after the
   * last frame stored, numbering on, with the gap in their events.
   */
  static async start(options: RunnerOptions): Promise<PipelineRunner> {
    const { checkpoint, record } = options;
    if (!checkpoint) return new PipelineRunner(options, [], []);
    const kinds = await resolveKinds(record.spec.videos);
    const stored = await options.store.lastFrames(record.id);
    const at = new Date().toISOString();
    const resumed: TimedSourceEvent[] = [];
    const startAfter = record.spec.videos.map((video, index) => {
      const live = isLiveKind(kinds[index].kind);
      const afterFrame = Math.max(checkpoint.positions[index] ?? 0, live ? (stored[index] ?? 0) : 0);
      resumed.push({
        type: "resumed",
        source: video.name ?? String(index),
        reference: shownReference(video),
        afterFrame,
        since: checkpoint.taken_at,
        live,
        at,
      });
      return afterFrame;
    });
    return new PipelineRunner(options, startAfter, resumed);
  }

  private addSourceEvent(event: TimedSourceEvent): void {
    this.sourceEvents.push(event);
    if (this.sourceEvents.length > SOURCE_EVENTS_KEPT) this.sourceEvents.shift();
  }

  private async end(): Promise<RunEnd> {
    if (this.stopping === "suspended") {
      await this.saveCheckpoint();
      return "suspended";
    }
    const report = await this.report();
    const failedSources = report.sources.filter((source) => source.state === "failed").map((source) => source.source);
    const summary = { pipeline_id: this.id, frames: report.frames, errors: report.errors, failed_sources: failedSources, elapsed_s: report.elapsed_s };
    if (report.state === "failed") {
      this.options.log?.error({ ...summary, reason: report.failure?.message }, "pipeline failed");
    } else {
      this.options.log?.info({ ...summary, state: report.state, ended_by: this.stopping === "terminated" ? "terminate" : "sources" }, "pipeline ended");
    }
    if (this.stopping !== "terminated") await this.store.saveFinalReport(this.id, report);
    this.emit({ type: "end", report });
    return this.stopping ?? (report.state === "failed" ? "failed" : "finished");
  }

  get ended(): boolean {
    const state = this.pipeline.currentState;
    return state === "finished" || state === "failed";
  }

  get state(): PipelineState {
    return this.pipeline.currentState;
  }

  /** Pauses after the tick in progress, and checkpoints there: a restart finds the pipeline where it stopped. */
  async pause(): Promise<void> {
    this.pipeline.pause();
    await this.saveCheckpoint();
  }

  resume(): void {
    this.pipeline.resume();
  }

  /** Stops the sources after the tick in progress; the run ends as terminated. */
  async terminate(): Promise<void> {
    this.stopping ??= "terminated";
    await this.pipeline.stop();
    await this.done;
  }

  /** Stops after the tick in progress with a final checkpoint, to resume at the next start or on another worker. */
  async suspend(): Promise<void> {
    this.stopping ??= "suspended";
    await this.pipeline.stop();
    await this.done;
  }

  /** Checkpoints between two ticks: block state and positions as of the last tick recorded. */
  async saveCheckpoint(): Promise<void> {
    const checkpoint = await this.pipeline.betweenTicks(() => this.checkpoint());
    this.ticksSinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    await this.store.saveCheckpoint(this.id, checkpoint);
  }

  private checkpoint(): Checkpoint {
    const status = this.pipeline.status();
    return {
      taken_at: new Date().toISOString(),
      engine: this.engine.snapshot(),
      positions: [...this.positions],
      counts: this.counts(status),
      elapsed_s: this.base.elapsed_s + status.elapsed_s,
      source_events: [...this.sourceEvents],
    };
  }

  private counts(status: PipelineStatus): RunCounts {
    const { counts } = this.base;
    return {
      ticks: counts.ticks + status.ticks,
      frames: counts.frames + status.frames,
      flagged: counts.flagged + status.flagged,
      errors: counts.errors + status.errors,
    };
  }

  /** The status as an uninterrupted run would count it: counters and elapsed time carry on over restarts. */
  async report(): Promise<PipelineReport> {
    const status = this.pipeline.status();
    const results = await this.store.resultCounts(this.id);
    const carried = { ...status, ...this.counts(status), elapsed_s: this.base.elapsed_s + status.elapsed_s };
    return pipelineReport(this.options.record, carried, results, this.sourceEvents, this.frameSizes);
  }

  /** Live events until the run ends; returns the unsubscribe function. */
  subscribe(listener: (event: PipelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: PipelineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async record(results: readonly FrameResult[]): Promise<void> {
    const records: FrameRecord[] = [];
    for (const result of results) {
      const { sourceIndex, image, frameNumber } = result.frame;
      this.frameSizes[sourceIndex] ??= { width: image.width, height: image.height };
      this.positions[sourceIndex] = frameNumber;
      records.push(frameRecord(result, (await serialiseValue(result.outputs)) as Record<string, unknown>));
      if (result.error) this.options.onFrameError?.(result.error);
    }
    // Each flagged frame becomes an event once: frames run again after a crash find theirs.
    const snapshots = this.events ? await this.events.recordTick(results, (_result, index) => records[index].outputs) : [];
    const thumbnails = await this.thumbnails(results, snapshots);
    // Stored before the checkpoint that covers them: a checkpoint never runs ahead of the results.
    await this.store.appendResults(this.id, records, this.options.storeThumbnails ? thumbnails : undefined);
    for (const [index, record] of records.entries()) {
      const thumbnail = thumbnails[index];
      this.emit({ type: "frame", record, ...(thumbnail ? { thumbnail } : {}) });
    }
    if (++this.ticksSinceCheckpoint >= this.every.ticks || Date.now() - this.lastCheckpointAt >= this.every.ms) {
      // Inside the tick's callback, hence between two engine runs: taken directly.
      this.ticksSinceCheckpoint = 0;
      this.lastCheckpointAt = Date.now();
      await this.store.saveCheckpoint(this.id, this.checkpoint());
    }
  }

  /** Flagged frames' thumbnails, by position, when a live view or the store wants them: the events' own when there are events. */
  private async thumbnails(results: readonly FrameResult[], snapshots: ReadonlyArray<Snapshot | undefined>): Promise<Array<string | undefined>> {
    if (!this.options.storeThumbnails && this.listeners.size === 0) return [];
    if (this.events) return snapshots.map((snapshot) => snapshot && jpegDataUrl(snapshot.thumbnail));
    return flaggedPictures(results, thumbnailDataUrl);
  }
}

/** The sources' names and references as shown (passwords masked, uploads as `upload:<id>`), in order. */
function shownSources(videos: readonly VideoSourceSpec[]): Array<{ name: string; reference: string }> {
  return videos.map((video, index) => ({ name: video.name ?? String(index), reference: shownReference(video) }));
}

const NO_LATENCY = { count: 0, mean_ms: null, p50_ms: null, p99_ms: null };

/**
 * The status of a pipeline no runner in this process holds (resuming, waiting for a worker, or
 * failed before its run began): its counters as of its last checkpoint, its sources not open.
 */
export function restingStatus(
  state: PipelineStatus["state"],
  failure: WorkflowErrorBody | null,
  progress?: Pick<Checkpoint, "counts" | "elapsed_s">,
): PipelineStatus {
  return {
    state,
    ...(progress?.counts ?? ZERO_COUNTS),
    dropped: 0,
    fps: 0,
    elapsed_s: progress?.elapsed_s ?? 0,
    sources: [],
    latency: { wait: NO_LATENCY, inference: NO_LATENCY, end_to_end: NO_LATENCY },
    failure,
  };
}

/** A pipeline's status report: its run's status (counters carried on), the results held, its latest source events, and upstream's keys made from them. */
export function pipelineReport(
  record: PipelineRecord,
  status: PipelineStatus,
  results: { buffered: number; dropped: number },
  events: readonly TimedSourceEvent[],
  frameSizes: ReadonlyArray<{ width: number; height: number } | undefined> = [],
): PipelineReport {
  const startedAt = new Date(record.created_at);
  return {
    pipeline_id: record.id,
    created_at: startedAt.toISOString(),
    ...status,
    buffered_results: results.buffered,
    results_dropped: results.dropped,
    source_events: [...events],
    ...upstreamReportKeys({ status, sources: shownSources(record.spec.videos), events, frameSizes, startedAt }),
  };
}
