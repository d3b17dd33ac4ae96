/**
 * The JSON the UI receives from the server, as far as the UI reads it. The server's own types
 * (`src/server/pipeline-manager.ts`, `src/video/pipeline.ts`, `src/errors`) are the reference;
 * the browser bundle cannot import them (they pull in Node), so the client states what it relies
 * on here — one place to update when the wire format changes.
 */

/** Upstream's error body (spec §3.4), with the compiler's per-step details. */
export interface ErrorBody {
  message: string;
  error_type: string;
  context?: string | null;
  inner_error_type?: string | null;
  inner_error_message?: string | null;
  blocks_errors?: BlockError[];
}

export interface BlockError {
  block_id: string | null;
  block_type?: string | null;
  property_name: string | null;
  property_details: string | null;
}

/** An image in serialised outputs. */
export interface SerialisedImage {
  type: "base64";
  /** JPEG bytes, base64. */
  value: string;
}

/** `event: frame` of `GET /inference_pipelines/{id}/events`, and a `consume` frame. */
export interface FrameEvent {
  source: string;
  source_index: number;
  frame_number: number;
  frame_timestamp: string;
  outputs: Record<string, unknown>;
  error?: ErrorBody;
  flagged: boolean;
  /** JPEG data URL (≤ 160 px wide) of the input frame; SSE only, exactly when flagged. */
  thumbnail?: string;
}

export type PipelineState = "starting" | "running" | "paused" | "stopping" | "finished" | "failed";

export interface SourceStatus {
  source: string;
  reference: string;
  kind: string;
  state: "starting" | "running" | "reconnecting" | "ended" | "failed" | "stopped";
  framesDecoded: number;
  framesDelivered: number;
  framesDropped: number;
  reconnects: number;
  errors: number;
  declaredFps: number | null;
  measuredFps: number | null;
  totalFrames: number | null;
}

export interface LatencySummary {
  count: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
}

/** `event: status` and `GET /inference_pipelines/{id}/status`'s `report`. */
export interface PipelineReport {
  pipeline_id: string;
  created_at: string;
  state: PipelineState;
  ticks: number;
  frames: number;
  flagged: number;
  errors: number;
  dropped: number;
  fps: number;
  elapsed_s: number;
  sources: SourceStatus[];
  latency: { wait: LatencySummary; inference: LatencySummary; end_to_end: LatencySummary };
  failure: ErrorBody | null;
  buffered_results: number;
  results_dropped: number;
  source_events: { type: string; source: string; at: string; message?: string }[];
  sse_skipped_frames?: number;
}

export interface UploadAnswer {
  upload_id: string;
  filename: string;
  bytes: number;
  video_reference: string;
}

export interface WorkflowExample {
  /** File name without `.json`. */
  name: string;
  definition: unknown;
}
