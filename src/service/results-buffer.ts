/**
 * A pipeline's frame results waiting for `consume`, in memory: bounded (the oldest go first, and
 * are counted), idempotent by (source_index, frame_number) — a frame run again after a restart
 * or a takeover is not stored twice (docs/guides/service.md#results). The memory and data-folder
 * stores hold one per pipeline; its state is plain JSON so that a store can persist it.
 */
import type { FrameRecord } from "../video/index.js";
import type { Consumed } from "./types.js";

export interface ResultsState {
  /** Unconsumed results, oldest first. */
  frames: FrameRecord[];
  /** Per source index, the highest frame number ever stored. */
  last_frames: Record<number, number>;
  dropped_since_consume: number;
  dropped_total: number;
}

export function emptyResults(): ResultsState {
  return { frames: [], last_frames: {}, dropped_since_consume: 0, dropped_total: 0 };
}

/** Adds the records not stored before; returns those, in order (a durable store writes them). */
export function appendResults(state: ResultsState, records: readonly FrameRecord[], capacity: number): FrameRecord[] {
  const added: FrameRecord[] = [];
  for (const record of records) {
    const last = state.last_frames[record.source_index];
    if (last !== undefined && record.frame_number <= last) continue;
    state.last_frames[record.source_index] = record.frame_number;
    state.frames.push(record);
    added.push(record);
  }
  const excess = state.frames.length - capacity;
  if (excess > 0) {
    state.frames.splice(0, excess);
    state.dropped_since_consume += excess;
    state.dropped_total += excess;
  }
  return added;
}

/** Takes every unconsumed result, without the excluded output keys. */
export function takeResults(state: ResultsState, excludedFields: readonly string[] = []): Consumed {
  const frames = state.frames;
  const dropped = state.dropped_since_consume;
  state.frames = [];
  state.dropped_since_consume = 0;
  return { frames: withoutFields(frames, excludedFields), dropped };
}

/** Upstream's `excluded_fields`: output keys left out of each frame's outputs. */
export function withoutFields(frames: FrameRecord[], excludedFields: readonly string[]): FrameRecord[] {
  if (excludedFields.length === 0) return frames;
  const excluded = new Set(excludedFields);
  return frames.map((frame) => ({ ...frame, outputs: Object.fromEntries(Object.entries(frame.outputs).filter(([key]) => !excluded.has(key))) }));
}
