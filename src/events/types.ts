/**
 * The event record's shapes (docs/reference/events.md): what is kept of a flagged frame, how it
 * is asked for, and the JSON the HTTP routes answer. Types only and no Node import: the web UI's
 * bundle reads them through `server/wire.ts`.
 */

/** What the index holds of an event: everything but its outputs, which stay in its own file. */
export interface EventSummary {
  /** Sorts as the events were recorded: `<created_at, compact>-<random hex>`. */
  id: string;
  /** The server pipeline that flagged the frame, or the id of the `sightline run --video` that did. */
  pipeline_id: string;
  /** The source's name (its `video_identifier`) and its position in the pipeline, 0-based. */
  source: string;
  source_index: number;
  frame_number: number;
  /** The frame's time, as its result line says it. */
  frame_timestamp: string;
  /** When the event was recorded (ISO, UTC): what retention by age and the time filters read. */
  created_at: string;
  /** The flag outputs that were true: `is_outlier`, or `outliers.is_outlier` one level down. */
  flags: string[];
  /** The frame's score by the rule of docs/reference/events.md#the-score; null when it has none. */
  score: number | null;
  /** Where the score was read (`outliers.percentile`); null with no score. */
  score_output: string | null;
  /** The snapshot's size; null when the frame had no pixels (no step read them). */
  image: { width: number; height: number } | null;
  /** The event's files on disk together, about (the event file is counted before its size is set in it). */
  bytes: number;
}

/** A frame kept around an event (docs/reference/events.md#frames-around): one of the sampled frames of its source just before or after it. */
export interface AroundFrame {
  /** −N…−1 before the event's frame, 1…N after it, counting the source's frames that had pixels. */
  offset: number;
  frame_number: number;
  frame_timestamp: string;
  image: { width: number; height: number };
}

/** An event whole: its summary, the frames around it, and the workflow's outputs for the frame, serialised as `/workflows/run` answers them. */
export interface EventRecord extends EventSummary {
  /** Sorted by frame number; frames after the event are added as they arrive. */
  around: AroundFrame[];
  outputs: Record<string, unknown>;
}

/** A selection of events: all of them by default. Times are compared with `created_at`. */
export interface EventQuery {
  pipeline_id?: string;
  source?: string;
  /** Recorded at or after this time. */
  since?: Date;
  /** Recorded before this time. */
  until?: Date;
}

/** One page of a selection, newest first. */
export interface EventPage<T = EventSummary> {
  events: T[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
  /** Events matching the filters, on every page. */
  total: number;
}

/** How long and how much the record keeps; the oldest events go first. */
export interface RetentionLimits {
  maxAgeMs: number;
  maxBytes: number;
}

/** `GET /events` and `GET /events/{id}`: an event with the routes of its images (null without a snapshot). */
export type EventLinks = { image_url: string | null; thumbnail_url: string | null };
export type EventSummaryJson = EventSummary & EventLinks;
/** `GET /events/{id}`: each frame around it also has the route of its JPEG, `/events/{id}/around/{frame_number}`. */
export type EventJson = Omit<EventRecord, "around"> & EventLinks & { around: Array<AroundFrame & { image_url: string }> };
