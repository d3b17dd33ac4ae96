/**
 * The event record on disk (docs/reference/events.md#on-disk): every frame a pipeline flags,
 * kept as an event in one folder —
 *
 *   <id>.jpg        the frame (JPEG q90)                    written first
 *   <id>.thumb.jpg  its thumbnail (≤ 160 px wide)
 *   <id>.around/    the frames around it, <frame number>.jpg
 *   <id>.json       the event whole, outputs included       written last: the event exists once it does
 *   index.jsonl     the summaries (index-log.ts)            appended after
 *
 * Every file is written atomically (state/file.ts), so a process killed at any moment leaves an
 * event whole or not at all: opening drops index lines whose event file is gone, indexes event
 * files the index missed, and removes pictures without an event file. A frame is recorded once
 * per (pipeline, source, frame number): the frames a pipeline runs again after a crash find
 * their events there. Retention removes the oldest events beyond an age or a total size, at
 * each write and whenever `trim` is called. Frames after an event arrive later (`addAround`):
 * their pictures are written, then the event file again, then the summary again in the index
 * with its new size; a crash in between leaves a picture (or a temporary file) in the event's
 * `.around` folder that the event does not list, and it goes with the folder. One writer per
 * folder: callers lock it (the data folder's lock, or `run --events`'s); a read-only store (an
 * export) reads the index only.
 */
import { randomBytes } from "node:crypto";
import { access, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { removeStaleTemporaries, writeAtomically, writeFailureReason } from "../state/file.js";
import { EventIndex, INDEX_FILE, replayIndex } from "./index-log.js";
import { matches, selectPage } from "./query.js";
import { eventScore } from "./score.js";
import type { Snapshot } from "./snapshot.js";
import type { AroundFrame, EventPage, EventQuery, EventRecord, EventSummary, RetentionLimits } from "./types.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;
/** Kept unless told otherwise: a month of events, in at most 2 GiB. */
export const DEFAULT_RETENTION: RetentionLimits = { maxAgeMs: 30 * DAY_MS, maxBytes: 2048 * MIB };
/** Frames kept before and after each event unless told otherwise (docs/reference/events.md#frames-around). */
export const DEFAULT_FRAMES_AROUND = 2;

/** The events folder cannot be created, read or written. */
export class EventStoreError extends Error {
  override name = "EventStoreError";
}

/** A flagged frame, as the pipeline hands it over. */
export interface NewEvent {
  pipeline_id: string;
  source: string;
  source_index: number;
  frame_number: number;
  frame_timestamp: string;
  /** Serialised as `/workflows/run` answers them. */
  outputs: Record<string, unknown>;
  flags: string[];
  /** Null: the frame had no pixels (no step read them). */
  snapshot: Snapshot | null;
  /** The frames before it. */
  around: AroundPicture[];
}

/** A frame around an event with its JPEG. */
export interface AroundPicture extends AroundFrame {
  jpeg: Buffer;
}

export type EventPicture = "image" | "thumbnail";

const ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;
/** An event's files, and the folder of the frames around it. */
const FILE_PATTERN = /^(\d{8}T\d{9}Z-[0-9a-f]{8})\.(json|jpg|thumb\.jpg|around)$/;

/** Whether `id` can be an event's (and so names no other file). */
export function isEventId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** `20261127T080001123Z-3f9a1c07`: sorts as recorded. */
function eventId(at: Date): string {
  return `${at.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

const aroundFrame = ({ jpeg: _jpeg, ...frame }: AroundPicture): AroundFrame => frame;
const byFrameNumber = (a: AroundFrame, b: AroundFrame) => a.frame_number - b.frame_number;
const jpegBytes = (pictures: readonly AroundPicture[]) => pictures.reduce((sum, picture) => sum + picture.jpeg.length, 0);

const frameKey = (event: Pick<EventSummary, "pipeline_id" | "source_index" | "frame_number">) =>
  `${event.pipeline_id}\n${event.source_index}\n${event.frame_number}`;

export interface EventStoreOptions {
  retention?: RetentionLimits;
  /** Frames kept before and after each event, by whoever records them (`EventRecorder`); 0: none. */
  framesAround?: number;
  /** Read the index only: no repair, no writes (exports while a server holds the folder). */
  readOnly?: boolean;
  now?: () => number;
  log?: { warn(fields: object, message: string): void };
}

export class EventStore {
  /** By id, which is the order recorded. */
  private events: EventSummary[] = [];
  private readonly byId = new Map<string, EventSummary>();
  private readonly frames = new Set<string>();
  private totalBytes = 0;
  private readonly index: EventIndex;
  /** Settles when the last write has: writes happen one after another. */
  private tail: Promise<unknown> = Promise.resolve();
  readonly retention: RetentionLimits;
  readonly framesAround: number;
  private readonly now: () => number;

  constructor(
    readonly dir: string,
    private readonly options: EventStoreOptions = {},
  ) {
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.framesAround = options.framesAround ?? DEFAULT_FRAMES_AROUND;
    this.now = options.now ?? Date.now;
    this.index = new EventIndex(dir);
  }

  /** A store on `dir`, opened. */
  static async open(dir: string, options: EventStoreOptions = {}): Promise<EventStore> {
    const store = new EventStore(dir, options);
    await store.open();
    return store;
  }

  /** Creates the folder if needed (unless read-only), reads and repairs it, and applies retention; an `EventStoreError` says why it cannot. */
  async open(): Promise<void> {
    try {
      if (!this.options.readOnly) {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await removeStaleTemporaries(this.dir);
      }
      await this.load();
    } catch (error) {
      const reason = writeFailureReason(join(this.dir, INDEX_FILE), error as NodeJS.ErrnoException);
      throw new EventStoreError(`Cannot use the events folder ${this.dir}: ${reason}`);
    }
    if (!this.options.readOnly) await this.trim();
  }

  private async load(): Promise<void> {
    const { events, lines, unreadable } = replayIndex(await EventIndex.read(this.dir, this.options.readOnly === true));
    if (unreadable > 0) this.options.log?.warn({ folder: this.dir, unreadable }, "event index lines unreadable; rebuilt from the event files");
    if (this.options.readOnly) {
      for (const event of events.values()) this.add(event);
      return;
    }
    const files = await this.filesOnDisk();
    let repaired = unreadable > 0;
    for (const [id, event] of events) {
      if (files.get(id)?.has("json")) this.add(event);
      else repaired = true;
    }
    for (const [id, kinds] of files) {
      if (this.byId.has(id)) continue;
      repaired = true;
      const event = kinds.has("json") ? await this.readRecord(id).catch(() => undefined) : undefined;
      if (event) this.add(summaryOf(event));
      else await this.removeFiles(id);
    }
    this.events.sort((a, b) => (a.id < b.id ? -1 : 1));
    if (repaired || lines > this.events.length) await this.index.rewrite(this.events);
  }

  /** Per event id, which of its files exist. */
  private async filesOnDisk(): Promise<Map<string, Set<string>>> {
    const files = new Map<string, Set<string>>();
    for (const name of await readdir(this.dir)) {
      const match = FILE_PATTERN.exec(name);
      if (!match) continue;
      const kinds = files.get(match[1]) ?? new Set<string>();
      kinds.add(match[2]);
      files.set(match[1], kinds);
    }
    return files;
  }

  private add(event: EventSummary): void {
    this.events.push(event);
    this.byId.set(event.id, event);
    this.frames.add(frameKey(event));
    this.totalBytes += event.bytes;
  }

  private path(id: string, file: "json" | "around" | EventPicture): string {
    const extension = { json: "json", around: "around", image: "jpg", thumbnail: "thumb.jpg" }[file];
    return join(this.dir, `${id}.${extension}`);
  }

  private aroundPath(id: string, frameNumber: number): string {
    return join(this.path(id, "around"), `${frameNumber}.jpg`);
  }

  private async writeAround(id: string, pictures: readonly AroundPicture[]): Promise<void> {
    if (pictures.length === 0) return;
    await mkdir(this.path(id, "around"), { recursive: true, mode: 0o700 });
    for (const picture of pictures) await writeAtomically(this.aroundPath(id, picture.frame_number), picture.jpeg);
  }

  private writable(): void {
    if (this.options.readOnly) throw new EventStoreError(`The events folder ${this.dir} is open read-only.`);
  }

  /** Runs `write` after every earlier write has settled. */
  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    const result = this.tail.then(write);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Keeps a flagged frame; null when this frame of this pipeline's source is recorded already. */
  record(input: NewEvent): Promise<EventSummary | null> {
    return this.exclusive(async () => {
      this.writable();
      if (this.frames.has(frameKey(input))) return null;
      const { snapshot, around: pictures, ...fields } = input;
      const score = eventScore(input.outputs, input.flags);
      const at = new Date(this.now());
      const id = eventId(at);
      const summary: EventSummary = {
        id,
        pipeline_id: fields.pipeline_id,
        source: fields.source,
        source_index: fields.source_index,
        frame_number: fields.frame_number,
        frame_timestamp: fields.frame_timestamp,
        created_at: at.toISOString(),
        flags: fields.flags,
        score: score?.score ?? null,
        score_output: score?.output ?? null,
        image: snapshot ? { width: snapshot.width, height: snapshot.height } : null,
        bytes: 0,
      };
      if (snapshot) {
        await writeAtomically(this.path(id, "image"), snapshot.image);
        await writeAtomically(this.path(id, "thumbnail"), snapshot.thumbnail);
      }
      await this.writeAround(id, pictures);
      const around = pictures.map(aroundFrame).sort(byFrameNumber);
      const snapshotBytes = snapshot ? snapshot.image.length + snapshot.thumbnail.length : 0;
      // The event file as it is before its size is set in it: a few digits short, which retention can afford.
      summary.bytes = snapshotBytes + jpegBytes(pictures) + Buffer.byteLength(JSON.stringify({ ...summary, around, outputs: input.outputs }));
      await writeAtomically(this.path(id, "json"), JSON.stringify({ ...summary, around, outputs: input.outputs }));
      this.add(summary);
      await this.index.append({ event: summary }, () => this.events);
      await this.trimNow();
      return summary;
    });
  }

  /**
   * Adds frames after event `id` to it (docs/reference/events.md#frames-around); false when the
   * event is gone (removed by retention).
   */
  addAround(id: string, pictures: readonly AroundPicture[]): Promise<boolean> {
    return this.exclusive(async () => {
      this.writable();
      const summary = this.byId.get(id);
      if (!summary) return false;
      const before = await readFile(this.path(id, "json"), "utf8");
      const record = withAround(JSON.parse(before) as StoredRecord);
      await this.writeAround(id, pictures);
      const around = [...record.around, ...pictures.map(aroundFrame)].sort(byFrameNumber);
      const added = jpegBytes(pictures) + Buffer.byteLength(JSON.stringify({ ...record, around })) - Buffer.byteLength(before);
      summary.bytes += added;
      this.totalBytes += added;
      await writeAtomically(this.path(id, "json"), JSON.stringify({ ...record, bytes: summary.bytes, around }));
      await this.index.append({ event: summary }, () => this.events);
      await this.trimNow();
      return true;
    });
  }

  /** Removes the events beyond the retention limits, oldest first; how many. */
  trim(): Promise<number> {
    return this.exclusive(() => this.trimNow());
  }

  private async trimNow(): Promise<number> {
    const oldest = this.now() - this.retention.maxAgeMs;
    const removed: EventSummary[] = [];
    let bytes = this.totalBytes;
    for (const event of this.events) {
      if (Date.parse(event.created_at) >= oldest && bytes <= this.retention.maxBytes) break;
      removed.push(event);
      bytes -= event.bytes;
    }
    if (removed.length === 0) return 0;
    // The event file first: an event whose pictures outlive it is gone all the same, and its pictures go at the next start.
    for (const event of removed) await this.removeFiles(event.id);
    const gone = new Set(removed.map((event) => event.id));
    this.events = this.events.filter((event) => !gone.has(event.id));
    for (const event of removed) {
      this.byId.delete(event.id);
      this.frames.delete(frameKey(event));
    }
    this.totalBytes = bytes;
    await this.index.append({ removed: [...gone] }, () => this.events);
    return removed.length;
  }

  private async removeFiles(id: string): Promise<void> {
    for (const file of ["json", "image", "thumbnail"] as const) await rm(this.path(id, file), { force: true });
    await rm(this.path(id, "around"), { recursive: true, force: true });
  }

  /** One page of the events matching `query`, newest first (docs/reference/events.md#queries). */
  list(query: EventQuery = {}, page: { limit?: number; cursor?: string } = {}): EventPage {
    return selectPage(this.events, query, page);
  }

  /** Every event matching `query`, in the order recorded. */
  select(query: EventQuery = {}): EventSummary[] {
    return this.events.filter((event) => matches(event, query));
  }

  summary(id: string): EventSummary | undefined {
    return this.byId.get(id);
  }

  /** The event whole; undefined when there is none (never recorded, or removed by retention). */
  async get(id: string): Promise<EventRecord | undefined> {
    if (!this.byId.has(id)) return undefined;
    return this.readRecord(id).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
  }

  private async readRecord(id: string): Promise<EventRecord> {
    return withAround(JSON.parse(await readFile(this.path(id, "json"), "utf8")) as StoredRecord);
  }

  /** The path of an event's picture; undefined when the event has none. */
  picturePath(id: string, picture: EventPicture): string | undefined {
    const event = this.byId.get(id);
    return event?.image ? this.path(id, picture) : undefined;
  }

  /** The path of the JPEG of frame `frameNumber` around event `id`; undefined when the event has no such frame. */
  async aroundPicturePath(id: string, frameNumber: number): Promise<string | undefined> {
    if (!this.byId.has(id)) return undefined;
    const path = this.aroundPath(id, frameNumber);
    return access(path).then(
      () => path,
      () => undefined,
    );
  }

  /** Bytes the events take on disk, together. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Waits for the write under way. */
  async close(): Promise<void> {
    await this.tail;
  }
}

function summaryOf(event: EventRecord): EventSummary {
  const { outputs: _outputs, around: _around, ...summary } = event;
  return summary;
}

/** An event file as read: events recorded before frames around were kept have none. */
type StoredRecord = Omit<EventRecord, "around"> & Partial<Pick<EventRecord, "around">>;

function withAround(event: StoredRecord): EventRecord {
  return { ...event, around: event.around ?? [] };
}
