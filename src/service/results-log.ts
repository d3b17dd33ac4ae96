/**
 * A pipeline's frame results in its data folder (docs/guides/service.md#the-data-folder). Every
 * tick appends its new results to `results.jsonl`, one line each with a sequence number — a tick
 * never rewrites a file. `consume` writes `results-cursor.json` (the last sequence number
 * consumed, the drops so far) atomically before it answers, so a consumed result never comes back
 * and an unconsumed one always does. When the log holds more than twice the buffer's lines, it is
 * rewritten (atomically) with only the results not consumed yet. Opening rebuilds the buffer
 * (results-buffer.ts) from both files; a last line torn by a kill is cut off.
 *
 * Not safe for concurrent calls: the store runs one pipeline's calls one after another.
 */
import { appendFile, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJsonLine, readCompleteLines, writeAtomically } from "../state/file.js";
import type { FrameRecord } from "../video/index.js";
import { appendResults, emptyResults, takeResults, type ResultsState } from "./results-buffer.js";
import type { Consumed } from "./types.js";

export const RESULTS_LOG = "results.jsonl";
export const RESULTS_CURSOR = "results-cursor.json";
/** A log with more lines than this many times the buffer (and than the minimum) is compacted. */
const COMPACT_FACTOR = 2;
const COMPACT_MIN_LINES = 64;

/** What `consume` has taken: every result up to `consumed_through`; `dropped_total` as of then. */
export interface ResultsCursor {
  consumed_through: number;
  dropped_total: number;
}

/**
 * A line of the log: a result with its sequence number, or — first after a compaction — what the
 * results compacted away still tell: the last sequence number and each source's last frame.
 */
export type ResultsLogLine = { seq: number; result: FrameRecord } | { compacted: { last_seq: number; last_frames: Record<number, number> } };

const NO_CURSOR: ResultsCursor = { consumed_through: 0, dropped_total: 0 };

/**
 * The buffer the log and the cursor describe. Sequence numbers go to stored results only, one
 * after another, so the results after the cursor number `lastSeq - consumed_through`; those the
 * log no longer holds (compacted) or that exceed the buffer were dropped.
 */
export function rebuildResults(lines: readonly ResultsLogLine[], cursor: ResultsCursor, capacity: number): { state: ResultsState; lastSeq: number } {
  const state = emptyResults();
  let lastSeq = cursor.consumed_through;
  const unconsumed: FrameRecord[] = [];
  const noteFrame = (source: number, frame: number) => {
    state.last_frames[source] = Math.max(state.last_frames[source] ?? frame, frame);
  };
  for (const line of lines) {
    if ("compacted" in line) {
      lastSeq = Math.max(lastSeq, line.compacted.last_seq);
      for (const [source, frame] of Object.entries(line.compacted.last_frames)) noteFrame(Number(source), frame);
      continue;
    }
    lastSeq = Math.max(lastSeq, line.seq);
    noteFrame(line.result.source_index, line.result.frame_number);
    if (line.seq > cursor.consumed_through) unconsumed.push(line.result);
  }
  state.frames = unconsumed.slice(-capacity);
  state.dropped_since_consume = lastSeq - cursor.consumed_through - state.frames.length;
  state.dropped_total = cursor.dropped_total + state.dropped_since_consume;
  return { state, lastSeq };
}

/** The log's lines; a line that is not one (a torn write, a damaged disk) is counted and left out. */
export function parseResultsLog(text: string): { lines: ResultsLogLine[]; unreadable: number } {
  const lines: ResultsLogLine[] = [];
  let unreadable = 0;
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    const line = parseLine(raw);
    if (line) lines.push(line);
    else unreadable++;
  }
  return { lines, unreadable };
}

function parseLine(raw: string): ResultsLogLine | null {
  const value = parseJsonLine(raw);
  if (value === null) return null;
  const line = value as Partial<{ seq: unknown; result: Partial<FrameRecord>; compacted: { last_seq?: unknown; last_frames?: unknown } }>;
  if (typeof line.seq === "number" && typeof line.result?.source_index === "number" && typeof line.result.frame_number === "number") {
    return line as ResultsLogLine;
  }
  if (typeof line.compacted?.last_seq === "number" && typeof line.compacted.last_frames === "object" && line.compacted.last_frames !== null) {
    return line as ResultsLogLine;
  }
  return null;
}

export class ResultsLog {
  private readonly logPath: string;
  private readonly cursorPath: string;

  private constructor(
    folder: string,
    private readonly capacity: number,
    private readonly state: ResultsState,
    private lastSeq: number,
    /** Lines in the log file now. */
    private lines: number,
  ) {
    this.logPath = join(folder, RESULTS_LOG);
    this.cursorPath = join(folder, RESULTS_CURSOR);
  }

  /** A new pipeline's (empty) results; its files are created on first use. */
  static empty(folder: string, capacity: number): ResultsLog {
    return new ResultsLog(folder, capacity, emptyResults(), 0, 0);
  }

  /** Rebuilds the results from the folder's files; `problems` says what could not be read (and was left out). */
  static async open(folder: string, capacity: number): Promise<{ log: ResultsLog; problems: string[] }> {
    const problems: string[] = [];
    const text = await readCompleteLines(join(folder, RESULTS_LOG));
    const { lines, unreadable } = parseResultsLog(text);
    if (unreadable > 0) problems.push(`${unreadable} unreadable line(s) of ${RESULTS_LOG} left out`);
    let cursor = NO_CURSOR;
    try {
      cursor = parseCursor(await readFile(join(folder, RESULTS_CURSOR), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        problems.push(`${RESULTS_CURSOR} unreadable (${(error as Error).message}): every result in the log counts as not consumed`);
    }
    const { state, lastSeq } = rebuildResults(lines, cursor, capacity);
    return { log: new ResultsLog(folder, capacity, state, lastSeq, lines.length + unreadable), problems };
  }

  get lastFrames(): Record<number, number> {
    return { ...this.state.last_frames };
  }

  get counts(): { buffered: number; dropped: number } {
    return { buffered: this.state.frames.length, dropped: this.state.dropped_total };
  }

  /** Stores the results not stored before (results-buffer.ts), appended to the log in one write. */
  async append(records: readonly FrameRecord[]): Promise<void> {
    const added = appendResults(this.state, records, this.capacity);
    if (added.length === 0) return;
    const text = added.map((result) => `${JSON.stringify({ seq: ++this.lastSeq, result })}\n`).join("");
    await appendFile(this.logPath, text);
    this.lines += added.length;
    if (this.lines > Math.max(COMPACT_FACTOR * this.capacity, COMPACT_MIN_LINES)) await this.compact();
  }

  /** Takes the unconsumed results once the cursor past them is on disk. */
  async consume(excludedFields?: readonly string[]): Promise<Consumed> {
    const cursor: ResultsCursor = { consumed_through: this.lastSeq, dropped_total: this.state.dropped_total };
    await writeAtomically(this.cursorPath, JSON.stringify(cursor));
    return takeResults(this.state, excludedFields);
  }

  /** Flushes the log to the disk: a checkpoint written next never runs ahead of the results it covers. */
  async sync(): Promise<void> {
    if (this.lines === 0) return;
    const handle = await open(this.logPath, "a");
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Rewrites the log with what it must still tell: the results not consumed (the buffer holds exactly those), and the last numbers. */
  private async compact(): Promise<void> {
    const { frames, last_frames } = this.state;
    const first = this.lastSeq - frames.length + 1;
    const lines: ResultsLogLine[] = [
      { compacted: { last_seq: this.lastSeq, last_frames } },
      ...frames.map((result, index) => ({ seq: first + index, result })),
    ];
    await writeAtomically(this.logPath, lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
    this.lines = lines.length;
  }
}

function parseCursor(text: string): ResultsCursor {
  const value = JSON.parse(text) as Partial<ResultsCursor>;
  if (typeof value.consumed_through !== "number" || typeof value.dropped_total !== "number") throw new Error("not a results cursor");
  return { consumed_through: value.consumed_through, dropped_total: value.dropped_total };
}
