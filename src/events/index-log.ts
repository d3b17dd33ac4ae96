/**
 * The events folder's index, `index.jsonl` (docs/reference/events.md#on-disk): one line per
 * event recorded (its summary; again, with its new size, when frames after it are added — the
 * last line of an id wins) and one per batch of events removed by retention, appended —
 * never rewritten on the way — and compacted (rewritten atomically with the live events only)
 * once removals make up most of it. The events' own files are the truth; the index is what
 * lets a start read thousands of events without opening each.
 */
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJsonLine, readCompleteLines, writeAtomically } from "../state/file.js";
import type { EventSummary } from "./types.js";

export const INDEX_FILE = "index.jsonl";
/** An index with more lines than this many times its live events (and than the minimum) is compacted. */
const COMPACT_FACTOR = 2;
const COMPACT_MIN_LINES = 256;

export type IndexLine = { event: EventSummary } | { removed: string[] };

function parseLine(raw: string): IndexLine | null {
  const value = parseJsonLine(raw);
  if (value === null) return null;
  const line = value as { event?: Partial<EventSummary>; removed?: unknown };
  if (typeof line.event?.id === "string" && typeof line.event.created_at === "string" && typeof line.event.bytes === "number") return line as IndexLine;
  if (Array.isArray(line.removed) && line.removed.every((id) => typeof id === "string")) return line as IndexLine;
  return null;
}

/** The live events the lines describe, in the order recorded; unreadable lines are counted and left out. */
export function replayIndex(text: string): { events: Map<string, EventSummary>; lines: number; unreadable: number } {
  const events = new Map<string, EventSummary>();
  let lines = 0;
  let unreadable = 0;
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    lines++;
    const line = parseLine(raw);
    if (line === null) unreadable++;
    else if ("event" in line) events.set(line.event.id, line.event);
    else for (const id of line.removed) events.delete(id);
  }
  return { events, lines, unreadable };
}

const asText = (lines: readonly IndexLine[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join("");

export class EventIndex {
  private readonly path: string;

  constructor(
    dir: string,
    /** Lines in the file now. */
    private lines = 0,
  ) {
    this.path = join(dir, INDEX_FILE);
  }

  /** The file's complete lines (a torn last line cut off, unless `readOnly`). */
  static read(dir: string, readOnly: boolean): Promise<string> {
    return readCompleteLines(join(dir, INDEX_FILE), readOnly);
  }

  async append(line: IndexLine, live: () => readonly EventSummary[]): Promise<void> {
    await appendFile(this.path, asText([line]));
    this.lines++;
    const count = live().length;
    if (this.lines > Math.max(COMPACT_FACTOR * count, COMPACT_MIN_LINES)) await this.rewrite(live());
  }

  /** Replaces the file with one line per live event. */
  async rewrite(events: readonly EventSummary[]): Promise<void> {
    await writeAtomically(this.path, asText(events.map((event) => ({ event }))));
    this.lines = events.length;
  }
}
