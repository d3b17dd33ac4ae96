/** A flagged frame of a pipeline's tick as the event it becomes: what the runner and `run --events` both write. */
import { frameLine } from "../video/frame-record.js";
import { firedFlags } from "../video/flags.js";
import type { FrameResult } from "../video/pipeline.js";
import type { Snapshot } from "./snapshot.js";
import type { NewEvent } from "./store.js";

export function flaggedFrameEvent(
  pipelineId: string,
  result: FrameResult,
  /** The frame's outputs serialised as `/workflows/run` answers them. */
  outputs: Record<string, unknown>,
  flagOutputs: readonly string[] | undefined,
  snapshot: Snapshot | undefined,
): NewEvent {
  const line = frameLine(result.frame, outputs);
  return {
    pipeline_id: pipelineId,
    source: line.source,
    source_index: result.frame.sourceIndex,
    frame_number: line.frame_number,
    frame_timestamp: line.frame_timestamp,
    outputs,
    flags: firedFlags(outputs, flagOutputs),
    snapshot: snapshot ?? null,
  };
}
