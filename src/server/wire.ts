/**
 * The JSON the server answers that its own web UI reads, declared once for both sides: types
 * only and no Node import, so the browser bundle imports them as they are.
 */
import type { FrameRecord } from "../video/status.js";
import type { PipelineReport } from "../service/upstream-report.js";

/** One processed frame as `consume` and the `frame` event deliver it (outputs serialised as `/workflows/run` answers them). */
export type { FrameRecord };
export type { LatencyReport, PipelineReport, SourceMetadata, UpstreamReportKeys, VideoSourceStatusUpdate } from "../service/upstream-report.js";

/** `event: frame` of `GET /inference_pipelines/{id}/events`. */
export interface FrameEvent extends FrameRecord {
  /** JPEG data URL (≤ 160 px wide) of the input frame, exactly when the frame is flagged. */
  thumbnail?: string;
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

/** `GET /events` (an `EventPage<EventSummaryJson>`) and `GET /events/{id}` (an `EventJson`): docs/reference/events.md#http. */
export type { EventJson, EventPage, EventSummaryJson } from "../events/types.js";
