/**
 * What the run view says a pipeline is doing, from its status report — pure. A pipeline whose
 * sources all reconnect or failed is "running" to the server but delivers nothing: the view says
 * "reconnecting" or "failed" instead, and why (docs/guides/ui.md#run).
 */
import type { PipelineReport } from "../wire.js";

export interface PipelineHealth {
  /** What the status panel shows as the pipeline's state. */
  label: string;
  tone: "ok" | "warning" | "error";
  /** A sentence on what its sources are doing, when that is not plain running. */
  detail: string | null;
}

/** The newest source event of `source` of one of `types`, for the reason it gives. */
function latestEvent(report: PipelineReport, source: string, types: readonly string[]) {
  return report.source_events.findLast((event) => event.source === source && types.includes(event.type));
}

function reconnectingDetail(report: PipelineReport, source: string): string {
  const event = latestEvent(report, source, ["reconnecting"]);
  return event?.type === "reconnecting" ? `${source} is reconnecting (attempt ${event.attempt}: ${event.reason})` : `${source} is reconnecting`;
}

function failedDetail(report: PipelineReport, source: string): string {
  const event = latestEvent(report, source, ["failed"]);
  return event?.type === "failed" ? `${source} failed: ${event.message}` : `${source} failed`;
}

export function pipelineHealth(report: PipelineReport): PipelineHealth {
  if (report.state !== "running" && report.state !== "starting") {
    return { label: report.state, tone: report.state === "failed" ? "error" : "ok", detail: report.failure ? report.failure.message : null };
  }
  const reconnecting = report.sources.filter((source) => source.state === "reconnecting");
  const failed = report.sources.filter((source) => source.state === "failed");
  const delivering = report.sources.filter((source) => source.state === "running");
  const details = [...reconnecting.map((source) => reconnectingDetail(report, source.source)), ...failed.map((source) => failedDetail(report, source.source))];
  const detail = details.length > 0 ? `${details.join("; ")}.` : null;
  if (report.sources.length > 0 && delivering.length === 0 && (reconnecting.length > 0 || failed.length > 0)) {
    return reconnecting.length > 0 ? { label: "reconnecting", tone: "warning", detail } : { label: "failed", tone: "error", detail };
  }
  return { label: report.state, tone: detail ? "warning" : "ok", detail };
}
