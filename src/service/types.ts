/**
 * Pipelines as a service (docs/guides/service.md): what a pipeline is when it must outlive the
 * process that runs it. A `PipelineRecord` says what to run and whether it should run; a
 * `Checkpoint` says how far it got (block state and each source's position, taken between two
 * ticks); a `PipelineStore` keeps both with the frame results clients have not consumed yet. The
 * store is memory, a data folder or Redis; the `PipelineRunner` and the HTTP routes never know
 * which.
 */
import type { WorkflowErrorBody } from "../errors/index.js";
import type { WorkflowEngine } from "../executor/engine.js";
import type { EngineSnapshot } from "../state/store.js";
import type { FrameRecord, SourceEvent, VideoSourceSpec } from "../video/index.js";
import type { WorkerBeat } from "./redis-cluster.js";
import type { PipelineReport } from "./upstream-report.js";

/** What `POST /inference_pipelines/initialise` asks for, as stored: plain JSON. */
export interface PipelineSpec {
  specification: unknown;
  videos: VideoSourceSpec[];
  params: Record<string, unknown>;
  maxFps?: number;
  /** Files and folders: about this many frames per second of video (`run --sample-fps`). */
  sampleFps?: number;
  /** Frames scaled by the decoder (`run --frame-size`). */
  frameSize?: { width?: number; height?: number };
  /** See the video pipeline's `decodeEveryFrame` (`run --decode-every-frame`). */
  decodeEveryFrame?: boolean;
  imageInputName: string;
  videoMetadataInputName: string;
  /** Boolean outputs that flag a frame (default: `is_outlier`). */
  flagOutputs?: string[];
  /** Frame results kept for `consume`; older ones are dropped (and counted). */
  bufferSize: number;
}

/** What the owner of a pipeline wants of it; the runner follows. Terminated pipelines are removed. */
export type DesiredState = "running" | "paused";

export interface PipelineRecord {
  id: string;
  created_at: string;
  spec: PipelineSpec;
  desired: DesiredState;
}

/** A source event as reported, with when it happened. */
export type TimedSourceEvent = SourceEvent & { at: string };

/** The counters a run carries on across restarts and takeovers. */
export interface RunCounts {
  ticks: number;
  frames: number;
  flagged: number;
  errors: number;
}

/** How far a pipeline got, taken between two ticks so that block state and positions agree. */
export interface Checkpoint {
  taken_at: string;
  engine: EngineSnapshot;
  /** Per source (by position): the number of the last frame processed; null before its first. */
  positions: Array<number | null>;
  counts: RunCounts;
  /** Seconds run before this checkpoint, over every run of the pipeline. */
  elapsed_s: number;
  source_events: TimedSourceEvent[];
}

/** The pipeline's frame results not consumed yet, and what was dropped since the last consume. */
export interface Consumed {
  frames: FrameRecord[];
  dropped: number;
}

/** Where pipelines live: records, checkpoints, results and final reports. */
export interface PipelineStore {
  create(record: PipelineRecord): Promise<void>;
  get(id: string): Promise<PipelineRecord | undefined>;
  list(): Promise<PipelineRecord[]>;
  setDesired(id: string, desired: DesiredState): Promise<void>;
  /** Forgets the pipeline: record, checkpoint, results, report. */
  remove(id: string): Promise<void>;
  saveCheckpoint(id: string, checkpoint: Checkpoint): Promise<void>;
  loadCheckpoint(id: string): Promise<Checkpoint | undefined>;
  /**
   * Adds frame results, idempotent by (source_index, frame_number): a record at or below its
   * source's highest stored frame number is a frame run again after a restart, and is dropped.
   * Beyond the spec's `bufferSize` unconsumed results, the oldest are dropped and counted.
   * `thumbnails` (by position, flagged frames only) are kept by stores that serve live views of
   * other processes (Redis), and ignored by the others.
   */
  appendResults(id: string, records: readonly FrameRecord[], thumbnails?: ReadonlyArray<string | undefined>): Promise<void>;
  /** Per source index, the highest frame number stored. */
  lastFrames(id: string): Promise<Record<number, number>>;
  /** Results not consumed yet (excluded output keys left out), and marks them consumed. */
  consume(id: string, excludedFields?: readonly string[]): Promise<Consumed>;
  /** Unconsumed results held, and results dropped over the pipeline's life. */
  resultCounts(id: string): Promise<{ buffered: number; dropped: number }>;
  /** The report of a pipeline whose run ended (finished or failed): it stays until terminated. */
  saveFinalReport(id: string, report: PipelineReport): Promise<void>;
  loadFinalReport(id: string): Promise<PipelineReport | undefined>;
  close(): Promise<void>;
}

export type PipelineEvent = { type: "frame"; record: FrameRecord; thumbnail?: string } | { type: "end"; report: PipelineReport };

/** `GET /inference_pipelines/list`'s detail of one pipeline. */
export interface PipelineSummary {
  pipeline_id: string;
  state: PipelineReport["state"];
  created_at: string;
  /** Who runs it: `local` in one process, a worker's id with Redis; null while it waits for one. */
  worker: string | null;
}

export interface Subscription {
  unsubscribe(): void;
  /** The pipeline's run has already ended: no event will come. */
  ended: boolean;
}

/** What the HTTP routes ask of pipelines, wherever they run. */
export interface PipelineService {
  /** Compiles the workflow (its error is thrown, 400) and starts the pipeline; its id. */
  start(spec: PipelineSpec): Promise<string>;
  list(): Promise<PipelineSummary[]>;
  report(id: string): Promise<PipelineReport>;
  reports(): Promise<PipelineReport[]>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  terminate(id: string): Promise<void>;
  consume(id: string, excludedFields?: readonly string[]): Promise<Consumed>;
  /** Live frame events until the pipeline's run ends. */
  subscribe(id: string, listener: (event: PipelineEvent) => void): Promise<Subscription>;
  /** What `/metrics` shows beyond the reports; services without Redis have none. */
  stats?(): Promise<ServiceStats>;
  /**
   * Shutdown. Durable stores: each running pipeline is checkpointed and stopped, to resume at the
   * next start; the memory store: pipelines are terminated.
   */
  close(): Promise<void>;
}

/** A service's figures for `/metrics` (docs/reference/http.md#metrics): the cluster's, or one worker's. */
export interface ServiceStats {
  /** Per pipeline id: when its last checkpoint was taken (ISO). */
  checkpoints: Record<string, string>;
  /** Pipelines taken over from a worker that had not handed them over. */
  takeovers: number;
  /** Times this process lost its connection to Redis. */
  redisOutages: number;
  /** The workers, as their heartbeats say. */
  workers: WorkerBeat[];
}

/** Builds a pipeline's engine (compiled with `isolateElementErrors`), from a snapshot when resuming. */
export type EngineMaker = (specification: unknown, snapshot?: EngineSnapshot) => WorkflowEngine;

/** The log lines of pipelines starting, resuming, failing and ending (the server's pino logger fits). */
export interface ServiceLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Called for each frame error (the server's block-error counters). */
export type FrameErrorCounter = (error: WorkflowErrorBody) => void;
