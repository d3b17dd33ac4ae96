/**
 * The keys of upstream's pipeline status report (`PipelineStateReport`, as its stream manager
 * serialises it), made from sightline's own status so that clients written for upstream find
 * them (docs/reference/http.md#get-inference_pipelinesidstatus), and the report itself (the HTTP
 * layer's wire types re-export them). Pure: the runner passes what it knows.
 */
import type { PipelineState, PipelineStatus, SourceEvent, SourceKind, SourceState, SourceStats } from "../video/status.js";

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

/**
 * A report's `state`: its run's, or `waiting` — on Redis, no worker runs the pipeline (none has
 * taken it yet, or its worker died and the lease has passed; docs/guides/service.md#redis-and-workers).
 */
export type ReportState = PipelineState | "waiting";

/** `GET /inference_pipelines/{id}/status`'s `report`. */
export interface PipelineReport extends Omit<PipelineStatus, "state">, UpstreamReportKeys {
  state: ReportState;
  pipeline_id: string;
  created_at: string;
  /** Frame results waiting for `consume`. */
  buffered_results: number;
  /** Frame results dropped from the buffer because nobody consumed them in time (whole run). */
  results_dropped: number;
  /** The latest source events (connections, reconnects, errors, failures), newest last. */
  source_events: Array<SourceEvent & { at: string }>;
}

/** Python's `logging` levels, which upstream's `UpdateSeverity` uses as values. */
const SEVERITY = { info: 20, warning: 30, error: 40 } as const;

const STREAM_STATE: Readonly<Record<SourceState, string>> = {
  starting: "INITIALISING",
  running: "RUNNING",
  reconnecting: "RESTARTING",
  ended: "ENDED",
  failed: "ERROR",
  stopped: "ENDED",
};

const LIVE_KINDS: ReadonlySet<SourceKind> = new Set(["stream", "webcam"]);

export interface UpstreamReportInput {
  status: PipelineStatus;
  /** Every source's name (`video_identifier`) and reference, passwords masked: the status lists sources only once they are opened. */
  sources: ReadonlyArray<{ name: string; reference: string }>;
  /** The latest source events, oldest first, with when they happened. */
  events: ReadonlyArray<SourceEvent & { at: string }>;
  /** Frame size of each source (by position), once a frame of it has been processed. */
  frameSizes: ReadonlyArray<{ width: number; height: number } | undefined>;
  startedAt: Date;
}

export function upstreamReportKeys({ status, sources, events, frameSizes, startedAt }: UpstreamReportInput): UpstreamReportKeys {
  const indexOf = (name: string) => sources.findIndex((source) => source.name === name);
  const paused = status.state === "paused";
  return {
    inference_throughput: status.fps,
    sources_metadata: sources.map(({ reference }, index) => {
      const source = status.sources.at(index);
      return source ? sourceMetadata(source, index, paused, frameSizes[index], startedAt) : notOpenedYet(reference, index);
    }),
    latency_reports: sources.map((_source, index) => latencyReport(status, index)),
    video_source_status_updates: events.map((event) => statusUpdate(event, indexOf(event.source))),
  };
}

function sourceMetadata(
  source: SourceStats,
  index: number,
  paused: boolean,
  size: { width: number; height: number } | undefined,
  startedAt: Date,
): SourceMetadata {
  const live = LIVE_KINDS.has(source.kind);
  return {
    source_properties:
      size === undefined
        ? null
        : {
            width: size.width,
            height: size.height,
            total_frames: source.totalFrames ?? -1,
            is_file: !live,
            fps: source.declaredFps ?? source.measuredFps ?? 0,
            is_reconnectable: live,
            timestamp_created: startedAt.toISOString(),
          },
    source_reference: source.reference,
    // sightline keeps no fixed frame buffer per source: a live source holds its freshest frame, a file is read as consumed.
    buffer_size: null,
    state: paused && source.state === "running" ? "PAUSED" : STREAM_STATE[source.state],
    buffer_filling_strategy: live ? "DROP_OLDEST" : "WAIT",
    buffer_consumption_strategy: live ? "EAGER" : "LAZY",
    source_id: index,
  };
}

function notOpenedYet(reference: string, index: number): SourceMetadata {
  return {
    source_properties: null,
    source_reference: reference,
    buffer_size: null,
    state: "INITIALISING",
    buffer_filling_strategy: null,
    buffer_consumption_strategy: null,
    source_id: index,
  };
}

/** sightline times ticks, not sources: every source of a tick reports the tick's means, in seconds. */
function latencyReport(status: PipelineStatus, index: number): LatencyReport {
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  return {
    source_id: index,
    frame_decoding_latency: seconds(status.latency.wait.mean_ms),
    inference_latency: seconds(status.latency.inference.mean_ms),
    e2e_latency: seconds(status.latency.end_to_end.mean_ms),
  };
}

function statusUpdate(event: SourceEvent & { at: string }, sourceId: number): VideoSourceStatusUpdate {
  const update = (severity: number, event_type: string, payload: Record<string, unknown>): VideoSourceStatusUpdate => ({
    timestamp: event.at,
    severity,
    event_type,
    payload: { source_id: sourceId, source_reference: event.reference, ...payload },
    context: "video_source",
  });
  switch (event.type) {
    case "connected":
      return update(SEVERITY.info, "VIDEO_CONSUMPTION_STARTED", { attempt: event.attempt });
    case "reconnecting":
      return update(SEVERITY.warning, "SOURCE_STATE_UPDATE", {
        previous_state: "RUNNING",
        new_state: "RESTARTING",
        attempt: event.attempt,
        delay_ms: event.delayMs,
        reason: event.reason,
      });
    case "ended":
      return update(SEVERITY.info, "VIDEO_CONSUMPTION_FINISHED", { frames: event.frames });
    case "error":
      return update(SEVERITY.error, "SOURCE_ERROR", { frame_id: event.frameNumber, error_message: event.message });
    case "failed":
      return update(SEVERITY.error, "SOURCE_ERROR", { error_message: event.message, error_context: "source_failed" });
    case "resumed":
      return update(event.live ? SEVERITY.warning : SEVERITY.info, "SOURCE_RESUMED", {
        after_frame: event.afterFrame,
        gap_since: event.live ? event.since : null,
      });
  }
}
