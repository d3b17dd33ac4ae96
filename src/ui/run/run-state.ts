/**
 * What the run view shows of a live pipeline, folded from its events — a pure reducer, so the
 * bounded memory (a few recent frames, a capped gallery and chart) and the deduplication of
 * frames seen both live and in a later `consume` are tested without a browser.
 */
import type { FrameEvent, PipelineReport, SerialisedImage } from "../wire.js";

/** `seenKeys` spans several of the server's default `consume` buffers (256 frames), the only source of repeats. */
export const LIMITS = { recentFrames: 12, gallery: 200, seriesPoints: 600, seenKeys: 1024 } as const;

export interface GalleryEntry {
  key: string;
  source: string;
  frameNumber: number;
  timestamp: string;
  /** Missing for frames recovered through `consume` (only live events carry thumbnails). */
  thumbnail: string | null;
}

export interface SeriesPoint {
  frame: number;
  value: number;
  flagged: boolean;
  /** 1 for the series' first point, counting points trimmed since: a detector's warm-up is its first points. */
  index: number;
}

/** A boolean output's value at one frame (`warming_up`: where the chart shades a detector's warm-up). */
export interface SwitchPoint {
  frame: number;
  value: boolean;
}

export interface LatestImage {
  name: string;
  frameNumber: number;
  dataUrl: string;
}

export interface RunState {
  recent: FrameEvent[];
  /** Newest first. */
  gallery: GalleryEntry[];
  /** Numeric outputs by name (nested values as `output.key`), oldest point first. */
  series: Record<string, SeriesPoint[]>;
  /** Boolean outputs by name, as `series`. */
  switches: Record<string, SwitchPoint[]>;
  /** The latest image of each image output. */
  images: Record<string, LatestImage>;
  status: PipelineReport | null;
  ended: boolean;
  framesSeen: number;
  /** Keys of the latest frames folded in, so `consume` after the stream adds only the missed ones. */
  seen: readonly string[];
}

export const INITIAL_RUN_STATE: RunState = {
  recent: [],
  gallery: [],
  series: {},
  switches: {},
  images: {},
  status: null,
  ended: false,
  framesSeen: 0,
  seen: [],
};

export type RunEvent = { type: "frames"; frames: readonly FrameEvent[] } | { type: "status"; report: PipelineReport } | { type: "end" } | { type: "reset" };

export function isSerialisedImage(value: unknown): value is SerialisedImage {
  return typeof value === "object" && value !== null && (value as SerialisedImage).type === "base64" && typeof (value as SerialisedImage).value === "string";
}

export function imageDataUrl(image: SerialisedImage): string {
  return `data:image/jpeg;base64,${image.value}`;
}

/** The values of `outputs` by display name: top-level outputs, and one level into objects (`output.key`) — as `$steps.x.*` outputs nest. */
function flatten(outputs: Record<string, unknown>): [string, unknown][] {
  return Object.entries(outputs).flatMap(([name, value]): [string, unknown][] =>
    typeof value === "object" && value !== null && !Array.isArray(value) && !isSerialisedImage(value)
      ? Object.entries(value).map(([key, inner]): [string, unknown] => [`${name}.${key}`, inner])
      : [[name, value]],
  );
}

export function numericOutputs(outputs: Record<string, unknown>): [string, number][] {
  return flatten(outputs).filter((entry): entry is [string, number] => typeof entry[1] === "number" && Number.isFinite(entry[1]));
}

export function booleanOutputs(outputs: Record<string, unknown>): [string, boolean][] {
  return flatten(outputs).filter((entry): entry is [string, boolean] => typeof entry[1] === "boolean");
}

/** `points` with `point` added, the oldest dropped beyond `LIMITS.seriesPoints`. */
function extend<T>(points: readonly T[] | undefined, point: T): T[] {
  return [...(points ?? []), point].slice(-LIMITS.seriesPoints);
}

/** Image outputs, including images inside lists (`name[0]`). */
export function imageOutputs(outputs: Record<string, unknown>): [string, SerialisedImage][] {
  return flatten(outputs).flatMap(([name, value]): [string, SerialisedImage][] => {
    if (isSerialisedImage(value)) return [[name, value]];
    if (Array.isArray(value))
      return value.flatMap((item, index): [string, SerialisedImage][] => (isSerialisedImage(item) ? [[`${name}[${index}]`, item]] : []));
    return [];
  });
}

/** A short rendering of an output value for the frames table. */
export function compactValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return value.length > 24 ? `${value.slice(0, 23)}…` : value;
  if (isSerialisedImage(value)) return "[image]";
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  return "{…}";
}

const frameKey = (frame: Pick<FrameEvent, "source_index" | "frame_number">) => `${frame.source_index}:${frame.frame_number}`;

function foldFrame(state: RunState, frame: FrameEvent): RunState {
  const key = frameKey(frame);
  if (state.seen.includes(key)) return state;
  const seen = [...state.seen.slice(-(LIMITS.seenKeys - 1)), key];
  const recent = [frame, ...state.recent].slice(0, LIMITS.recentFrames);
  const gallery = frame.flagged
    ? [
        { key, source: frame.source, frameNumber: frame.frame_number, timestamp: frame.frame_timestamp, thumbnail: frame.thumbnail ?? null },
        ...state.gallery,
      ].slice(0, LIMITS.gallery)
    : state.gallery;
  const series = { ...state.series };
  for (const [name, value] of numericOutputs(frame.outputs)) {
    const index = (series[name]?.at(-1)?.index ?? 0) + 1;
    series[name] = extend(series[name], { frame: frame.frame_number, value, flagged: frame.flagged, index });
  }
  const switches = { ...state.switches };
  for (const [name, value] of booleanOutputs(frame.outputs)) switches[name] = extend(switches[name], { frame: frame.frame_number, value });
  let images = state.images;
  for (const [name, image] of imageOutputs(frame.outputs)) {
    const current = images[name];
    if (current && current.frameNumber > frame.frame_number) continue;
    images = { ...images, [name]: { name, frameNumber: frame.frame_number, dataUrl: imageDataUrl(image) } };
  }
  return { ...state, recent, gallery, series, switches, images, seen, framesSeen: state.framesSeen + 1 };
}

export function runReducer(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case "frames":
      return event.frames.reduce(foldFrame, state);
    case "status":
      return { ...state, status: event.report };
    case "end":
      return { ...state, ended: true };
    case "reset":
      return INITIAL_RUN_STATE;
  }
}
