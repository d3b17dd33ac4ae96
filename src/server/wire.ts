/**
 * The JSON the server answers that its own web UI reads, declared once for both sides: types
 * only and no Node import, so the browser bundle imports them as they are.
 */
import type { FrameRecord, PipelineStatus, SourceEvent } from "../video/status.js";

/** One processed frame as `consume` and the `frame` event deliver it (outputs serialised as `/workflows/run` answers them). */
export type { FrameRecord };

/** `event: frame` of `GET /inference_pipelines/{id}/events`. */
export interface FrameEvent extends FrameRecord {
  /** JPEG data URL (≤ 160 px wide) of the input frame, exactly when the frame is flagged. */
  thumbnail?: string;
}

/** One of upstream's `latency_reports`: per source, seconds, null until measured. */
export interface LatencyReport {
  source_id: number;
  frame_decoding_latency: number | null;
  inference_latency: number | null;
  e2e_latency: number | null;
}

/** One of upstream's `sources_metadata` (its `SourceMetadata`). */
export interface SourceMetadata {
  /** Null until a frame of the source has been processed. */
  source_properties: {
    width: number;
    height: number;
    /** -1 when unknown (live sources). */
    total_frames: number;
    is_file: boolean;
    fps: number;
    is_reconnectable: boolean;
    timestamp_created: string;
  } | null;
  source_reference: string;
  buffer_size: number | null;
  /** Upstream's `StreamState`: INITIALISING, RUNNING, PAUSED, RESTARTING, ENDED or ERROR. */
  state: string;
  /** Null until the source is opened. */
  buffer_filling_strategy: string | null;
  buffer_consumption_strategy: string | null;
  source_id: number;
}

/** One of upstream's `video_source_status_updates` (its `StatusUpdate`). */
export interface VideoSourceStatusUpdate {
  timestamp: string;
  /** Python's logging level: 20 info, 30 warning, 40 error. */
  severity: number;
  event_type: string;
  payload: Record<string, unknown>;
  context: string;
}

/** The keys of upstream's `PipelineStateReport`, alongside sightline's own in the report. */
export interface UpstreamReportKeys {
  /** Frames per second. */
  inference_throughput: number;
  sources_metadata: SourceMetadata[];
  latency_reports: LatencyReport[];
  video_source_status_updates: VideoSourceStatusUpdate[];
}

/** `GET /inference_pipelines/{id}/status`'s `report`. */
export interface PipelineReport extends PipelineStatus, UpstreamReportKeys {
  pipeline_id: string;
  created_at: string;
  /** Frame results waiting for `consume`. */
  buffered_results: number;
  /** Frame results dropped from the buffer because nobody consumed them in time (whole run). */
  results_dropped: number;
  /** The latest source events (connections, reconnects, errors, failures), newest last. */
  source_events: Array<SourceEvent & { at: string }>;
}

/** `event: status` of the event stream. */
export interface StatusEvent extends PipelineReport {
  /** Frame events this client missed because it read too slowly. */
  sse_skipped_frames: number;
}

/** `POST /uploads` and each of `GET /uploads`. */
export interface UploadInfo {
  upload_id: string;
  filename: string;
  bytes: number;
  created_at: string;
  /** What to pass as `video_reference` to `/inference_pipelines/initialise`. */
  video_reference: string;
}

/** Each of `GET /ui/examples`: a bundled `examples/*.json`. */
export interface WorkflowExample {
  /** File name without `.json`. */
  name: string;
  definition: unknown;
}
