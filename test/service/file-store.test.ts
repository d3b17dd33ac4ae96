/**
 * The data folder's store (src/service/file-store.ts) on a real folder: what a new store opened
 * on the same folder — a restart — finds of records, checkpoints, results and reports; the
 * results log's cursor, bounds, compaction and torn last line; the leftovers of killed processes;
 * the lock.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SnapshotError } from "../../src/state/store.js";
import { DataDirError, LOCK_STALE_AFTER_MS } from "../../src/service/data-dir-lock.js";
import { FilePipelineStore } from "../../src/service/file-store.js";
import type { Checkpoint, PipelineRecord } from "../../src/service/types.js";
import type { PipelineReport } from "../../src/service/upstream-report.js";
import type { FrameRecord } from "../../src/video/index.js";

/** Above Linux's largest pid: no such process. */
const GONE_PID = 2 ** 22 + 1;

const folder = () => mkdtempSync(join(tmpdir(), "sightline-file-store-"));

const open: FilePipelineStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});

/** A store opened on `dir`, as a server starting on it. */
async function openStore(dir: string): Promise<FilePipelineStore> {
  const store = new FilePipelineStore(dir);
  await store.open();
  open.push(store);
  return store;
}

/** Closes `store` and opens a new one on its folder: a restart. */
async function restart(store: FilePipelineStore): Promise<FilePipelineStore> {
  await store.close();
  return openStore(store.dir);
}

function record(id: string, bufferSize = 8): PipelineRecord {
  return {
    id,
    created_at: new Date(Date.UTC(2025, 0, 1, 0, 0, Number(id.replace(/\D/g, "") || 0))).toISOString(),
    spec: {
      specification: { version: "1.0" },
      videos: [{ reference: "cam.mp4" }],
      params: {},
      imageInputName: "image",
      videoMetadataInputName: "video_metadata",
      bufferSize,
    },
    desired: "running",
  };
}

function frames(source: number, from: number, to: number): FrameRecord[] {
  return Array.from({ length: to - from + 1 }, (_, index) => ({
    source: String(source),
    source_index: source,
    frame_number: from + index,
    frame_timestamp: new Date(Date.UTC(2025, 0, 1) + (from + index) * 40).toISOString(),
    outputs: { n: from + index },
    flagged: false,
  }));
}

const numbers = (consumed: { frames: FrameRecord[] }) => consumed.frames.map((frame) => `${frame.source_index}:${frame.frame_number}`);
const range = (source: number, from: number, to: number) => frames(source, from, to).map((frame) => `${source}:${frame.frame_number}`);

const checkpoint: Checkpoint = {
  taken_at: "2025-01-01T00:00:10.000Z",
  engine: {
    format: "sightline-state",
    version: 1,
    definition_hash: "abc",
    scope: "stream",
    taken_at: "2025-01-01T00:00:10.000Z",
    runs: 3,
    steps: {},
    shared: {},
    streams: {},
  },
  positions: [3],
  counts: { ticks: 3, frames: 3, flagged: 0, errors: 0 },
  elapsed_s: 1.5,
  source_events: [],
};

describe("records, checkpoints and reports", () => {
  it("survive a restart: records in creation order with their desired state, the checkpoint, the final report; a removed pipeline is gone", async () => {
    let store = await openStore(folder());
    await store.create(record("p2"));
    await store.create(record("p1"));
    await store.create(record("p3"));
    await store.setDesired("p1", "paused");
    await store.saveCheckpoint("p2", checkpoint);
    await store.saveFinalReport("p3", { state: "finished", frames: 9 } as PipelineReport);
    await store.remove("p3");
    await store.saveFinalReport("p2", { state: "finished", frames: 3 } as PipelineReport);

    store = await restart(store);
    expect((await store.list()).map((held) => [held.id, held.desired])).toEqual([
      ["p1", "paused"],
      ["p2", "running"],
    ]);
    expect(await store.get("p3")).toBeUndefined();
    expect(await store.loadCheckpoint("p2")).toEqual(checkpoint);
    expect(await store.loadCheckpoint("p1")).toBeUndefined();
    expect(await store.loadFinalReport("p2")).toMatchObject({ state: "finished", frames: 3 });
    expect(readdirSync(join(store.dir, "pipelines")).sort()).toEqual(["p1", "p2"]);
  });

  it("a damaged checkpoint is a SnapshotError naming the file, of that pipeline alone", async () => {
    const store = await openStore(folder());
    await store.create(record("p1"));
    await store.create(record("p2"));
    await store.saveCheckpoint("p1", checkpoint);
    await store.saveCheckpoint("p2", checkpoint);
    writeFileSync(join(store.dir, "pipelines", "p1", "checkpoint.json"), '{"taken_at": "2025-');
    const reopened = await restart(store);
    await expect(reopened.loadCheckpoint("p1")).rejects.toThrow(SnapshotError);
    await expect(reopened.loadCheckpoint("p1")).rejects.toThrow(/checkpoint\.json cannot be read .*Terminate it/);
    expect(await reopened.loadCheckpoint("p2")).toEqual(checkpoint);
  });

  it("removes the temporary files of killed processes and the folder of a pipeline whose record was never written", async () => {
    const dir = folder();
    let store = await openStore(dir);
    await store.create(record("p1"));
    await store.close();
    const pipeline = join(dir, "pipelines", "p1");
    const stale = [`checkpoint.json.${GONE_PID}.tmp`, `results-cursor.json.${GONE_PID}.tmp`];
    for (const name of stale) writeFileSync(join(pipeline, name), "{half");
    writeFileSync(join(pipeline, `record.json.${process.pid}.tmp`), "{half"); // this process id's: an earlier owner's
    mkdirSync(join(dir, "pipelines", "never-answered"));
    writeFileSync(join(dir, "pipelines", "never-answered", `record.json.${GONE_PID}.tmp`), "{half");

    store = await openStore(dir);
    expect(readdirSync(pipeline)).toEqual(["record.json"]);
    expect(readdirSync(join(dir, "pipelines"))).toEqual(["p1"]);
    expect((await store.list()).map((held) => held.id)).toEqual(["p1"]);
  });
});

describe("results", () => {
  it("consumed results never come back after a restart, unconsumed ones always do", async () => {
    let store = await openStore(folder());
    await store.create(record("p", 100));
    await store.appendResults("p", [...frames(0, 1, 5), ...frames(1, 1, 3)]);
    expect(numbers(await store.consume("p"))).toEqual([...range(0, 1, 5), ...range(1, 1, 3)]);
    await store.appendResults("p", frames(0, 6, 8));

    store = await restart(store);
    expect(await store.resultCounts("p")).toEqual({ buffered: 3, dropped: 0 });
    expect(await store.lastFrames("p")).toEqual({ 0: 8, 1: 3 });
    expect(numbers(await store.consume("p", ["n"]))).toEqual(range(0, 6, 8));
    store = await restart(store);
    expect(numbers(await store.consume("p"))).toEqual([]);
  });

  it("are idempotent across a restart: frames run again after it are not stored twice", async () => {
    let store = await openStore(folder());
    await store.create(record("p", 100));
    await store.appendResults("p", frames(0, 1, 10));
    store = await restart(store);
    await store.appendResults("p", frames(0, 4, 12)); // from the checkpoint at frame 3
    expect(numbers(await store.consume("p"))).toEqual(range(0, 1, 12));
  });

  it("are bounded by the buffer: the oldest are dropped and counted, across restarts too", async () => {
    let store = await openStore(folder());
    await store.create(record("p", 4));
    await store.appendResults("p", frames(0, 1, 6));
    store = await restart(store);
    expect(await store.resultCounts("p")).toEqual({ buffered: 4, dropped: 2 });
    const first = await store.consume("p");
    expect([numbers(first), first.dropped]).toEqual([range(0, 3, 6), 2]);
    await store.appendResults("p", frames(0, 7, 12));
    store = await restart(store);
    const second = await store.consume("p");
    expect([numbers(second), second.dropped]).toEqual([range(0, 9, 12), 2]);
    expect(await store.resultCounts("p")).toEqual({ buffered: 0, dropped: 4 });
  });

  it("compact the log when it grows: the file stays small, and nothing a restart finds changes", async () => {
    let store = await openStore(folder());
    await store.create(record("p", 8));
    const log = join(store.dir, "pipelines", "p", "results.jsonl");
    let lines = 0;
    for (let tick = 1; tick <= 300; tick++) {
      await store.appendResults("p", [...frames(0, tick, tick), ...(tick % 3 === 0 ? frames(1, tick / 3, tick / 3) : [])]);
      if (tick % 50 === 25) await store.consume("p");
      lines = Math.max(lines, readFileSync(log, "utf8").split("\n").length - 1);
    }
    expect(lines).toBeLessThanOrEqual(64 + 2);
    // 400 results: 6 consumes of 8, 8 held, the rest dropped.
    expect(await store.resultCounts("p")).toEqual({ buffered: 8, dropped: 400 - 6 * 8 - 8 });
    const before = await store.consume("p");
    store = await restart(store);
    expect(await store.lastFrames("p")).toEqual({ 0: 300, 1: 100 });
    // Everything was consumed before the restart: the last frames come from the compacted header.
    await store.appendResults("p", [...frames(0, 299, 301), ...frames(1, 100, 100)]);
    expect(numbers(await store.consume("p"))).toEqual(range(0, 301, 301));
    expect(before.frames.length).toBe(8);
  });

  it("a last line torn by a kill is cut off; the results before it and after the restart are whole", async () => {
    let store = await openStore(folder());
    await store.create(record("p", 100));
    await store.appendResults("p", frames(0, 1, 3));
    await store.close();
    const log = join(store.dir, "pipelines", "p", "results.jsonl");
    appendFileSync(log, '{"seq":4,"result":{"source":"0","source_index":0,"frame_nu');

    store = await openStore(store.dir);
    expect(await store.lastFrames("p")).toEqual({ 0: 3 });
    await store.appendResults("p", frames(0, 4, 5)); // the torn frame runs again
    store = await restart(store);
    expect(numbers(await store.consume("p"))).toEqual(range(0, 1, 5));
    expect(readFileSync(log, "utf8").endsWith("\n")).toBe(true);
  });

  it("a store answers nothing for a pipeline removed while its writes were under way", async () => {
    const store = await openStore(folder());
    await store.create(record("p", 100));
    const writes = [store.appendResults("p", frames(0, 1, 3)), store.remove("p"), store.appendResults("p", frames(0, 4, 5))];
    await Promise.all(writes);
    expect(existsSync(join(store.dir, "pipelines", "p"))).toBe(false);
    expect(await store.consume("p")).toEqual({ frames: [], dropped: 0 });
  });
});

describe("the lock", () => {
  it("a second store on the folder is refused, naming the process that holds it and what to do", async () => {
    const store = await openStore(folder());
    const second = new FilePipelineStore(store.dir);
    const refusal = second.open();
    await expect(refusal).rejects.toThrow(DataDirError);
    await expect(second.open()).rejects.toThrow(
      new RegExp(`data folder .* is in use by process ${process.pid} on ${hostname()} .*--data-dir DIR.*--no-data-dir`),
    );
    await store.close();
    await openStore(store.dir); // released on close
  });

  it("a lock whose process is gone is taken over; one of another host is, once nobody has touched it for a minute", async () => {
    const dir = folder();
    const lock = join(dir, "lock");
    writeFileSync(lock, JSON.stringify({ pid: GONE_PID, host: hostname(), started_at: "2025-01-01T00:00:00.000Z" }));
    await (await openStore(dir)).close();
    expect(existsSync(lock)).toBe(false);

    writeFileSync(lock, JSON.stringify({ pid: 1, host: "another-host", started_at: "2025-01-01T00:00:00.000Z" }));
    await expect(new FilePipelineStore(dir).open()).rejects.toThrow(/in use by process 1 on another-host .*If that process is gone, .*remove .*lock/);
    const untouched = new Date(Date.now() - LOCK_STALE_AFTER_MS - 5_000);
    utimesSync(lock, untouched, untouched);
    await openStore(dir);
    expect(JSON.parse(readFileSync(lock, "utf8"))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(statSync(lock).mtimeMs).toBeGreaterThan(untouched.getTime());
  });

  it("a folder that cannot be created is a DataDirError saying why", async () => {
    const file = join(folder(), "a-file");
    writeFileSync(file, "");
    await expect(new FilePipelineStore(join(file, "data")).open()).rejects.toThrow(/Cannot use the data folder .*a-file\/data: .*is not a folder \(ENOTDIR\)/);
  });
});
