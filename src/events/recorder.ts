/**
 * A pipeline's flagged frames as events, with the frames around them
 * (docs/reference/events.md#frames-around): what the server's runner and `run --events` both
 * use, one recorder per run, fed every tick in order.
 *
 * Memory stays bounded and a stream without events pays next to nothing: per source, the last N
 * frames that had pixels are kept as they are (references to pixels the pipeline decoded
 * anyway), and a JPEG is encoded only when an event needs one — once per frame, however many
 * events it is around. A flagged frame is recorded with the frames kept before it; the frames
 * of its source that follow are added to it one by one, until it has N after it. Nothing of
 * this is checkpointed: after a restart the frames before the first events are gone and events
 * waiting for frames after them wait no more — they keep what they have.
 */
import type { WorkflowImage } from "../images/index.js";
import { pythonIsoformat } from "../images/timestamp.js";
import { frameLine } from "../video/frame-record.js";
import { firedFlags } from "../video/flags.js";
import type { FrameResult } from "../video/pipeline.js";
import { flaggedPictures, frameJpeg, snapshotOf, type Snapshot } from "./snapshot.js";
import type { AroundPicture, EventStore, NewEvent } from "./store.js";

export interface EventRecorderOptions {
  /** The pipeline's id, or the run's. */
  pipelineId: string;
  /** The pipeline's flag outputs; none: its default. */
  flagOutputs: readonly string[] | undefined;
  /** An event, or a frame after one, that could not be written; without it, the error is thrown. */
  onError?: (error: Error, frameNumber: number) => void;
}

/** A frame kept for the events around it: its pixels, and its JPEG once one is needed. */
interface KeptFrame {
  frame_number: number;
  timestamp: Date;
  image: WorkflowImage;
  jpeg?: Promise<Buffer>;
}

/** An event still short of frames after it. */
interface Waiting {
  id: string;
  after: number;
}

interface SourceFrames {
  /** The last frames with pixels, oldest first, at most N. */
  recent: KeptFrame[];
  waiting: Waiting[];
}

function picture(frame: KeptFrame, offset: number): Promise<AroundPicture> {
  frame.jpeg ??= frameJpeg(frame.image);
  const { frame_number, timestamp, image } = frame;
  const frame_timestamp = pythonIsoformat(timestamp);
  return frame.jpeg.then((jpeg) => ({ offset, frame_number, frame_timestamp, image: { width: image.width, height: image.height }, jpeg }));
}

/** The frames kept before an event: offsets −N…−1. */
function beforePictures(recent: readonly KeptFrame[]): Promise<AroundPicture[]> {
  return Promise.all(recent.map((frame, index) => picture(frame, index - recent.length)));
}

export class EventRecorder {
  private readonly framesAround: number;
  private readonly sources = new Map<number, SourceFrames>();

  constructor(
    readonly store: EventStore,
    private readonly options: EventRecorderOptions,
  ) {
    this.framesAround = store.framesAround;
  }

  /**
   * Records the tick's flagged frames as events (once: frames run again after a crash find
   * theirs), adds its frames to the events waiting for them, and keeps them for later events.
   * Answers the flagged frames' snapshots by position, for whoever shows them too.
   */
  async recordTick(
    results: readonly FrameResult[],
    /** A flagged frame's outputs serialised as `/workflows/run` answers them. */
    outputsOf: (result: FrameResult, index: number) => Promise<Record<string, unknown>> | Record<string, unknown>,
  ): Promise<Array<Snapshot | undefined>> {
    const snapshots = await flaggedPictures(results, snapshotOf);
    for (const [index, result] of results.entries()) {
      const source = this.sourceOf(result.frame.sourceIndex);
      const snapshot = snapshots[index];
      const kept = this.framesAround > 0 && result.frame.bytes > 0 ? keptFrame(result, snapshot) : undefined;
      if (kept) await this.addAfter(source, kept);
      if (result.flagged) await this.recordEvent(source, result, await outputsOf(result, index), snapshot);
      if (kept) {
        source.recent.push(kept);
        if (source.recent.length > this.framesAround) source.recent.shift();
      }
    }
    return snapshots;
  }

  private sourceOf(index: number): SourceFrames {
    let source = this.sources.get(index);
    if (!source) this.sources.set(index, (source = { recent: [], waiting: [] }));
    return source;
  }

  private async recordEvent(source: SourceFrames, result: FrameResult, outputs: Record<string, unknown>, snapshot: Snapshot | undefined): Promise<void> {
    try {
      const around = await beforePictures(source.recent);
      const summary = await this.store.record(flaggedFrameEvent(this.options.pipelineId, result, outputs, this.options.flagOutputs, snapshot, around));
      if (summary && this.framesAround > 0) source.waiting.push({ id: summary.id, after: 0 });
    } catch (error) {
      this.failed(error as Error, result.frame.frameNumber);
    }
  }

  /** `frame` as the next frame after each event waiting for one. */
  private async addAfter(source: SourceFrames, frame: KeptFrame): Promise<void> {
    if (source.waiting.length === 0) return;
    const waiting = source.waiting;
    source.waiting = [];
    for (const event of waiting) {
      event.after++;
      try {
        const kept = await this.store.addAround(event.id, [await picture(frame, event.after)]);
        if (kept && event.after < this.framesAround) source.waiting.push(event);
      } catch (error) {
        this.failed(error as Error, frame.frame_number);
      }
    }
  }

  private failed(error: Error, frameNumber: number): void {
    if (!this.options.onError) throw error;
    this.options.onError(error, frameNumber);
  }
}

/** A flagged frame's JPEG is its snapshot's. */
function keptFrame({ frame }: FrameResult, snapshot: Snapshot | undefined): KeptFrame {
  const kept: KeptFrame = { frame_number: frame.frameNumber, timestamp: frame.timestamp, image: frame.image };
  if (snapshot) kept.jpeg = Promise.resolve(snapshot.image);
  return kept;
}

/** A flagged frame of a tick as the event it becomes. */
function flaggedFrameEvent(
  pipelineId: string,
  result: FrameResult,
  outputs: Record<string, unknown>,
  flagOutputs: readonly string[] | undefined,
  snapshot: Snapshot | undefined,
  around: AroundPicture[],
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
    around,
  };
}
