/**
 * Server-side stream pipelines (upstream's `/inference_pipelines/*`,
 * docs/reference/http.md#stream-pipelines): each one is a `VideoPipeline` with its own engine
 * (compiled with `isolateElementErrors`, on the server's shared `Services`), a bounded buffer of
 * serialised frame results for `consume`, and live listeners (Server-Sent Events). Pipelines are
 * independent: starting, failing or terminating one never touches another, and a source that cannot
 * be read shows as `failed` in its pipeline's status. Pipelines starting, failing and ending are
 * logged (info, error), and so is a source that fails (warn).
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import sharp from "sharp";
import { RuntimeInputError, type WorkflowErrorBody } from "../errors/index.js";
import type { WorkflowEngine } from "../executor/engine.js";
import { serialiseValue } from "../executor/serialise.js";
import type { WorkflowImage } from "../images/index.js";
import type { PipelineState, PipelineStatus, SourceEvent, VideoSourceSpec } from "../video/index.js";
import { frameRecord } from "../video/frame-record.js";
import { shownReference } from "../video/reference.js";
import { VideoPipeline, type FrameResult } from "../video/pipeline.js";
import type { EngineFactory } from "./engines.js";
import { HttpError, tooManyRequests } from "./errors.js";
import { upstreamReportKeys } from "./upstream-report.js";
import type { FrameRecord, PipelineReport } from "./wire.js";

export interface PipelineRequest {
  specification: unknown;
  videos: VideoSourceSpec[];
  params: Record<string, unknown>;
  maxFps?: number;
  imageInputName: string;
  videoMetadataInputName: string;
  /** Boolean outputs that flag a frame (default: `is_outlier`). */
  flagOutputs?: string[];
  /** Frame results kept for `consume`; older ones are dropped (and counted). */
  bufferSize: number;
}

export type PipelineEvent = { type: "frame"; record: FrameRecord; thumbnail?: string } | { type: "end"; report: PipelineReport };

export interface PipelineManagerOptions {
  engines: EngineFactory;
  maxPipelines: number;
  /** Called for each frame error, for the block-error counters. */
  onFrameError?: (error: WorkflowErrorBody) => void;
  /** Where pipelines starting, failing and ending are logged (the server's logger). */
  log?: FastifyBaseLogger;
}

const SOURCE_EVENTS_KEPT = 32;
export const THUMBNAIL_WIDTH = 160;

/** A small JPEG data URL of a frame (≤ 160 px wide) for galleries of flagged frames. */
export async function thumbnailDataUrl(image: WorkflowImage): Promise<string> {
  const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width: Math.min(THUMBNAIL_WIDTH, image.width) })
    .jpeg({ quality: 70 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}

export class ManagedPipeline {
  readonly createdAt = new Date();
  private readonly pipeline: VideoPipeline;
  private buffer: FrameRecord[] = [];
  private droppedSinceConsume = 0;
  private droppedTotal = 0;
  private readonly sourceEvents: Array<SourceEvent & { at: string }> = [];
  /** Each source's frame size (by position), from its first processed frame. */
  private readonly frameSizes: Array<{ width: number; height: number } | undefined> = [];
  private terminated = false;
  /** The sources' names and references as shown (passwords masked, uploads as `upload:<id>`), in order. */
  private readonly sources: ReadonlyArray<{ name: string; reference: string }>;
  private readonly listeners = new Set<(event: PipelineEvent) => void>();
  /** Settles when the run has ended, whatever the outcome. */
  readonly done: Promise<void>;

  /** Starts at once on `engine` (compiled with `isolateElementErrors`, ready), which it closes when the run ends. */
  constructor(
    readonly id: string,
    private readonly request: PipelineRequest,
    engine: WorkflowEngine,
    private readonly onFrameError: (error: WorkflowErrorBody) => void,
    private readonly log?: FastifyBaseLogger,
  ) {
    this.pipeline = new VideoPipeline({
      engine,
      videos: request.videos,
      params: request.params,
      maxFps: request.maxFps,
      imageInputName: request.imageInputName,
      videoMetadataInputName: request.videoMetadataInputName,
      flagOutputs: request.flagOutputs,
      onSourceEvent: (event) => {
        this.sourceEvents.push({ ...event, at: new Date().toISOString() });
        if (this.sourceEvents.length > SOURCE_EVENTS_KEPT) this.sourceEvents.shift();
        if (event.type === "failed")
          this.log?.warn({ pipeline_id: id, source: event.source, reference: event.reference, reason: event.message }, "pipeline source failed");
      },
      onTick: (_tick, results) => this.record(results),
    });
    this.sources = request.videos.map((video, index) => ({ name: video.name ?? String(index), reference: shownReference(video) }));
    this.log?.info({ pipeline_id: id, sources: this.sources.map((source) => source.reference) }, "pipeline started");
    // A failed run is recorded in the status (`state: "failed"`, `failure`); nothing to rethrow to.
    this.done = this.pipeline
      .run()
      .then(
        () => this.end(),
        () => this.end(),
      )
      .finally(() => engine.close().catch(() => undefined));
  }

  private end(): void {
    const report = this.report();
    const failedSources = report.sources.filter((source) => source.state === "failed").map((source) => source.source);
    const summary = { pipeline_id: this.id, frames: report.frames, errors: report.errors, failed_sources: failedSources, elapsed_s: report.elapsed_s };
    if (report.state === "failed") {
      this.log?.error({ ...summary, reason: report.failure?.message }, "pipeline failed");
    } else {
      this.log?.info({ ...summary, state: report.state, ended_by: this.terminated ? "terminate" : "sources" }, "pipeline ended");
    }
    this.emit({ type: "end", report });
  }

  get finished(): boolean {
    const state = this.pipeline.currentState;
    return state === "finished" || state === "failed";
  }

  pause(): void {
    this.pipeline.pause();
  }

  resume(): void {
    this.pipeline.resume();
  }

  /** Stops the sources and waits for the tick in progress to finish. */
  async terminate(): Promise<void> {
    this.terminated = true;
    await this.pipeline.stop();
    await this.done;
  }

  get state(): PipelineState {
    return this.pipeline.currentState;
  }

  status(): PipelineStatus {
    return this.pipeline.status();
  }

  report(): PipelineReport {
    const status = this.pipeline.status();
    return {
      pipeline_id: this.id,
      created_at: this.createdAt.toISOString(),
      ...status,
      buffered_results: this.buffer.length,
      results_dropped: this.droppedTotal,
      source_events: [...this.sourceEvents],
      ...upstreamReportKeys({ status, sources: this.sources, events: this.sourceEvents, frameSizes: this.frameSizes, startedAt: this.createdAt }),
    };
  }

  /** Frame results since the last call, and how many were dropped in between because the buffer was full. */
  consume(excludedFields: readonly string[] = []): { frames: FrameRecord[]; dropped: number } {
    const frames = this.buffer;
    const dropped = this.droppedSinceConsume;
    this.buffer = [];
    this.droppedSinceConsume = 0;
    if (excludedFields.length === 0) return { frames, dropped };
    const excluded = new Set(excludedFields);
    return {
      frames: frames.map((frame) => ({ ...frame, outputs: Object.fromEntries(Object.entries(frame.outputs).filter(([key]) => !excluded.has(key))) })),
      dropped,
    };
  }

  /** Live events until the pipeline ends; returns the unsubscribe function. */
  subscribe(listener: (event: PipelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: PipelineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async record(results: readonly FrameResult[]): Promise<void> {
    const watched = this.listeners.size > 0;
    for (const result of results) {
      const { sourceIndex, image } = result.frame;
      this.frameSizes[sourceIndex] ??= { width: image.width, height: image.height };
      const record = frameRecord(result, (await serialiseValue(result.outputs)) as Record<string, unknown>);
      if (result.error) this.onFrameError(result.error);
      this.buffer.push(record);
      if (this.buffer.length > this.request.bufferSize) {
        this.buffer.shift();
        this.droppedSinceConsume++;
        this.droppedTotal++;
      }
      if (watched) {
        // A frame passed on without pixels (no step read them) has none to show; a thumbnail that
        // fails is left out rather than failing the pipeline.
        const thumbnail = result.flagged && result.frame.bytes > 0 ? await thumbnailDataUrl(result.frame.image).catch(() => undefined) : undefined;
        this.emit({ type: "frame", record, ...(thumbnail ? { thumbnail } : {}) });
      }
    }
  }
}

export class PipelineManager {
  private readonly pipelines = new Map<string, ManagedPipeline>();

  constructor(private readonly options: PipelineManagerOptions) {}

  /**
   * Compiles the workflow, readies its blocks (custom code included) and starts the pipeline; a
   * compile error (400) is thrown before anything starts. When the server holds its maximum, the
   * oldest pipeline that has already ended makes room; if none has, 429.
   */
  async start(request: PipelineRequest): Promise<ManagedPipeline> {
    const engine = this.options.engines.engine(request.specification, { isolateElementErrors: true });
    try {
      if (!engine.plan.inputsByName.has(request.imageInputName)) {
        throw new RuntimeInputError(`The workflow has no input named "${request.imageInputName}" for the video frames; declare one or set image_input_name.`, {
          context: "pipeline_initialisation",
        });
      }
      await engine.ready();
      this.makeRoom();
    } catch (error) {
      await engine.close();
      throw error;
    }
    const pipeline = new ManagedPipeline(randomUUID(), request, engine, this.options.onFrameError ?? (() => undefined), this.options.log);
    this.pipelines.set(pipeline.id, pipeline);
    return pipeline;
  }

  private makeRoom(): void {
    if (this.pipelines.size < this.options.maxPipelines) return;
    const ended = [...this.pipelines.values()].find((pipeline) => pipeline.finished);
    if (!ended) {
      throw tooManyRequests(
        `The server runs its maximum of ${this.options.maxPipelines} pipelines. Terminate one (POST /inference_pipelines/{id}/terminate) first.`,
      );
    }
    this.pipelines.delete(ended.id);
  }

  get(id: string): ManagedPipeline {
    const pipeline = this.pipelines.get(id);
    if (!pipeline) {
      // Upstream's error type for an unknown pipeline id.
      throw new HttpError(404, "ProcessesManagerNotFoundError", `No inference pipeline "${id}" (never started, or already terminated).`, {
        context: "pipeline_management",
      });
    }
    return pipeline;
  }

  list(): ManagedPipeline[] {
    return [...this.pipelines.values()];
  }

  async terminate(id: string): Promise<void> {
    const pipeline = this.get(id);
    this.pipelines.delete(id);
    await pipeline.terminate();
  }

  /** Terminates every pipeline (shutdown); a failure to stop one does not keep the others running. */
  async terminateAll(): Promise<void> {
    const all = [...this.pipelines.values()];
    this.pipelines.clear();
    await Promise.allSettled(all.map((pipeline) => pipeline.terminate()));
  }
}
