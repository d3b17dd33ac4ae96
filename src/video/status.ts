/**
 * What a video run says about itself: each source's counters and events, and the pipeline's.
 * Types only and no Node import, because the browser UI reads these same shapes from the server.
 */
import type { WorkflowErrorBody } from "../errors/index.js";

export type SourceKind = "file" | "image-folder" | "stream" | "webcam";

export type SourceState = "starting" | "running" | "reconnecting" | "ended" | "failed" | "stopped";

/**
 * One source's state and counters. The counters count this run only: a source started after
 * frame N (`VideoSourceSpec.startAfterFrame`, a resumed run) counts from frame N + 1.
 */
export interface SourceStats {
  /** The `video_identifier`. */
  source: string;
  /** The reference with any password masked. */
  reference: string;
  kind: SourceKind;
  state: SourceState;
  framesDecoded: number;
  /** Frames handed to the multiplexer (decoded − dropped − still waiting). */
  framesDelivered: number;
  /** Live sources: frames replaced by a fresher one before anyone took them. Files: always 0. */
  framesDropped: number;
  /** Files: frames delivered without pixels, because the workflow reads no pixels of them (not piped by the decoder). */
  framesWithoutPixels: number;
  /** Reconnection attempts started (live sources). */
  reconnects: number;
  /** Error events emitted. */
  errors: number;
  /** Declared by the container/stream (or the folder's `fps` option); null if unknown. */
  declaredFps: number | null;
  /** Rolling decode rate. */
  measuredFps: number | null;
  /**
   * Files and folders: the frame count announced up front (for progress and ETA), counted from
   * frame 1 whatever `startAfterFrame` says; may be an estimate.
   */
  totalFrames: number | null;
}

/** What every source event carries. */
export interface EventBase {
  source: string;
  /** Redacted reference. */
  reference: string;
}

/**
 * What a source reports as it runs. None of them stops the run: an error event means that a
 * frame (or the whole source) was lost, with the source and, where known, the frame number.
 */
export type SourceEvent =
  | (EventBase & { type: "connected"; attempt: number })
  | (EventBase & { type: "error"; frameNumber: number | null; message: string })
  | (EventBase & { type: "reconnecting"; attempt: number; delayMs: number; reason: string })
  | (EventBase & { type: "ended"; frames: number })
  | (EventBase & { type: "failed"; message: string })
  /**
   * The pipeline resumed after a restart or a takeover: the source starts after frame
   * `afterFrame`. Files and folders lose nothing; a live source's frames since `since` (the last
   * checkpoint) were never seen.
   */
  | (EventBase & { type: "resumed"; afterFrame: number; since: string; live: boolean });

export type PipelineState = "starting" | "running" | "paused" | "stopping" | "finished" | "failed";

/** Latencies in ms: count and mean over the run, percentiles over recent frames. */
export interface LatencySummary {
  count: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface PipelineStatus {
  state: PipelineState;
  /** Ticks and frames of this run (a resumed run counts from its first tick). */
  ticks: number;
  frames: number;
  flagged: number;
  errors: number;
  dropped: number;
  /** Frames processed per second of wall time since the start. */
  fps: number;
  elapsed_s: number;
  sources: SourceStats[];
  latency: { wait: LatencySummary; inference: LatencySummary; end_to_end: LatencySummary };
  /** Set when the run failed as a whole (e.g. no source could be opened). */
  failure: WorkflowErrorBody | null;
}

/**
 * One processed frame as sightline reports it: an item of the server's `consume` answer and of
 * its `frame` events, and — without `source_index` and `flagged` — a line of
 * `sightline run --video` (see `FrameLine`). Built in one place, video/frame-record.ts.
 */
export interface FrameRecord {
  /** The source's `video_identifier`. */
  source: string;
  /** The source's position in the run's list of videos. */
  source_index: number;
  frame_number: number;
  /** ISO 8601. */
  frame_timestamp: string;
  /** Serialised outputs: images as base64 JPEG, or as file paths where the CLI wrote them to files. */
  outputs: Record<string, unknown>;
  /** Present when the frame failed: the error body, saying which step and why. */
  error?: WorkflowErrorBody;
  /** Whether one of the flag outputs (e.g. `is_outlier`) is true. */
  flagged: boolean;
}

/** One processed frame as `sightline run --video` prints it (a line of results.jsonl). */
export type FrameLine = Omit<FrameRecord, "source_index" | "flagged">;
