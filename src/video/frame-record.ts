/**
 * The one place a processed frame becomes the record sightline reports: the CLI's result sinks
 * print its line, the server's pipelines buffer and stream the whole record. Outputs arrive
 * already serialised, each caller having its own way with images (files, or base64).
 */
import type { WorkflowErrorBody } from "../errors/index.js";
import { pythonIsoformat } from "../images/timestamp.js";
import type { SourceFrame } from "./multiplexer.js";
import type { FrameResult } from "./pipeline.js";
import type { FrameLine, FrameRecord } from "./status.js";

/** The line `sightline run --video` prints for a frame; `error` only when the frame failed. */
export function frameLine(frame: SourceFrame, outputs: Record<string, unknown>, error?: WorkflowErrorBody | null): FrameLine {
  return {
    source: frame.source,
    frame_number: frame.frameNumber,
    frame_timestamp: pythonIsoformat(frame.timestamp),
    outputs,
    ...(error ? { error } : {}),
  };
}

/** The server's record of a frame: its line, with the source's index after the source and the flag last. */
export function frameRecord(result: FrameResult, outputs: Record<string, unknown>): FrameRecord {
  const { source, ...rest } = frameLine(result.frame, outputs, result.error);
  return { source, source_index: result.frame.sourceIndex, ...rest, flagged: result.flagged };
}
