/**
 * The event store on real files (docs/reference/events.md): events written and read back after a
 * reopen, one per frame, a folder left by a killed process repaired, retention by age and by
 * size, queries and pages, the score rule, and the COCO export parsed as a COCO reader would.
 */
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { eventScore, EventStore, exportCoco, snapshotOf, type CocoDataset, type NewEvent } from "../../src/events/index.js";
import { WorkflowImage } from "../../src/images/index.js";
import { scratchDir } from "../video/helpers.js";

const scratch = scratchDir("events-store");

/** A solid 32×24 frame. */
function frame(value: number): WorkflowImage {
  return new WorkflowImage({ width: 32, height: 24, data: new Uint8Array(32 * 24 * 3).fill(value), parentId: "image" });
}

async function flagged(frameNumber: number, overrides: Partial<NewEvent> = {}): Promise<NewEvent> {
  return {
    pipeline_id: "p1",
    source: "cam",
    source_index: 0,
    frame_number: frameNumber,
    frame_timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, frameNumber)).toISOString(),
    outputs: { frame: frameNumber, outliers: { is_outlier: true, percentile: 0.99 } },
    flags: ["outliers.is_outlier"],
    snapshot: await snapshotOf(frame(frameNumber)),
    around: [],
    ...overrides,
  };
}

/** A clock the test moves. */
function clock(start = Date.UTC(2026, 0, 10)): { now: () => number; advance(ms: number): void } {
  let at = start;
  return { now: () => at, advance: (ms) => void (at += ms) };
}

describe("EventStore", () => {
  it("keeps events with their pictures and outputs across a reopen, once per frame", async () => {
    const dir = join(scratch(), "basic");
    const time = clock();
    const store = await EventStore.open(dir, { now: time.now });
    for (const number of [3, 7, 9]) {
      expect(await store.record(await flagged(number))).not.toBeNull();
      time.advance(1000);
    }
    expect(await store.record(await flagged(7)), "the same frame of the same pipeline again").toBeNull();
    expect(await store.record(await flagged(7, { pipeline_id: "p2", snapshot: null }))).toMatchObject({ image: null, pipeline_id: "p2" });
    await store.close();

    const again = await EventStore.open(dir, { now: time.now });
    const page = again.list();
    expect(page.total).toBe(4);
    expect(page.events.map((event) => [event.pipeline_id, event.frame_number])).toEqual([
      ["p2", 7],
      ["p1", 9],
      ["p1", 7],
      ["p1", 3],
    ]);
    const event = (await again.get(page.events[1].id))!;
    expect(event).toMatchObject({
      source: "cam",
      source_index: 0,
      frame_number: 9,
      flags: ["outliers.is_outlier"],
      score: 0.99,
      score_output: "outliers.percentile",
      image: { width: 32, height: 24 },
      outputs: { frame: 9, outliers: { is_outlier: true, percentile: 0.99 } },
    });
    const jpeg = await sharp(await readFile(again.picturePath(event.id, "image")!)).metadata();
    expect(jpeg).toMatchObject({ format: "jpeg", width: 32, height: 24 });
    const thumbnail = await sharp(await readFile(again.picturePath(event.id, "thumbnail")!)).metadata();
    expect(thumbnail.format).toBe("jpeg");
    expect(again.picturePath(page.events[0].id, "image"), "an event without a snapshot has no picture").toBeUndefined();
    expect(await again.record(await flagged(9)), "recorded before the reopen").toBeNull();
    await again.close();
  });

  it("pages newest first with a cursor, and filters by pipeline, source and time", async () => {
    const time = clock();
    const store = await EventStore.open(join(scratch(), "pages"), { now: time.now });
    for (let number = 1; number <= 7; number++) {
      await store.record(await flagged(number, { source: number % 2 ? "odd" : "even", snapshot: null }));
      time.advance(60_000);
    }
    const numbers = (events: ReadonlyArray<{ frame_number: number }>) => events.map((event) => event.frame_number);
    const first = store.list({}, { limit: 3 });
    expect([numbers(first.events), first.total]).toEqual([[7, 6, 5], 7]);
    const second = store.list({}, { limit: 3, cursor: first.next_cursor! });
    const third = store.list({}, { limit: 3, cursor: second.next_cursor! });
    expect([numbers(second.events), numbers(third.events), third.next_cursor]).toEqual([[4, 3, 2], [1], null]);
    // Recorded meanwhile: the next page is the same.
    await store.record(await flagged(8, { snapshot: null }));
    expect(numbers(store.list({}, { limit: 3, cursor: first.next_cursor! }).events)).toEqual([4, 3, 2]);

    expect(numbers(store.list({ source: "even" }).events)).toEqual([6, 4, 2]);
    expect(store.list({ pipeline_id: "nope" }).total).toBe(0);
    const start = Date.UTC(2026, 0, 10);
    const window = store.list({ since: new Date(start + 2 * 60_000), until: new Date(start + 4 * 60_000) });
    expect(numbers(window.events)).toEqual([4, 3]);
    await store.close();
  });

  it("trims the oldest events beyond the age limit, at open and at each write", async () => {
    const dir = join(scratch(), "age");
    const time = clock();
    const hour = 3_600_000;
    const store = await EventStore.open(dir, { now: time.now, retention: { maxAgeMs: 10 * hour, maxBytes: 1e12 } });
    for (const number of [1, 2, 3]) {
      await store.record(await flagged(number));
      time.advance(4 * hour);
    }
    // Now 12 h after the first: it goes with the next write.
    await store.record(await flagged(4));
    expect(store.list().events.map((event) => event.frame_number)).toEqual([4, 3, 2]);
    await store.close();
    time.advance(5 * hour); // 17 h: the second (4 h) goes, the third (8 h) stays
    const reopened = await EventStore.open(dir, { now: time.now, retention: { maxAgeMs: 10 * hour, maxBytes: 1e12 } });
    expect(reopened.list().events.map((event) => event.frame_number)).toEqual([4, 3]);
    const files = await readdir(dir);
    expect(files.filter((name) => name.endsWith(".json")).length).toBe(2);
    expect(files.filter((name) => name.endsWith(".jpg")).length).toBe(4);
    await reopened.close();
  });

  it("trims the oldest events beyond the size limit", async () => {
    const dir = join(scratch(), "size");
    const probe = await EventStore.open(join(scratch(), "size-probe"));
    const one = (await probe.record(await flagged(1)))!.bytes;
    const store = await EventStore.open(dir, { retention: { maxAgeMs: 1e12, maxBytes: Math.floor(3.5 * one) } });
    for (let number = 1; number <= 6; number++) await store.record(await flagged(number));
    expect(store.list().events.map((event) => event.frame_number)).toEqual([6, 5, 4]);
    expect(store.bytes).toBeLessThanOrEqual(3.5 * one);
    const onDisk = await readdir(dir);
    expect(onDisk.filter((name) => name.endsWith(".json")).sort()).toEqual(
      store
        .list()
        .events.map((event) => `${event.id}.json`)
        .sort(),
    );
    await store.close();
  });

  it("repairs what a killed process left: a torn index line, an event file the index missed, pictures and frames around without an event", async () => {
    const dir = join(scratch(), "killed");
    const store = await EventStore.open(dir);
    const kept = (await store.record(await flagged(1)))!;
    const missed = (await store.record(await flagged(2)))!;
    await store.close();
    const index = (await readFile(join(dir, "index.jsonl"), "utf8")).split("\n");
    // The second event's index line never made it; a torn line and the pictures of an event whose file was never written did.
    await writeFile(join(dir, "index.jsonl"), `${index[0]}\n{"event": {"id": "2026`);
    await writeFile(join(dir, "20260110T000000000Z-0000dead.jpg"), "partial");
    await writeFile(join(dir, "20260110T000000000Z-0000dead.jpg.12345678.tmp"), "a killed write");
    await mkdir(join(dir, "20260110T000000000Z-0000dead.around"));
    await writeFile(join(dir, "20260110T000000000Z-0000dead.around", "4.jpg"), "a frame around it");

    const reopened = await EventStore.open(dir);
    expect(reopened.list().events.map((event) => event.id)).toEqual([missed.id, kept.id]);
    expect((await readdir(dir)).filter((name) => name.includes("dead"))).toEqual([]);
    expect(await reopened.record(await flagged(3))).not.toBeNull();
    await reopened.close();
    const last = await EventStore.open(dir);
    expect(last.list().total).toBe(3);
    await last.close();
  });

  it("exports a selection as COCO JSON: one image entry per event with a snapshot, each file a JPEG of its size", async () => {
    const dir = join(scratch(), "export");
    const store = await EventStore.open(dir);
    await store.record(await flagged(5));
    await store.record(await flagged(6, { source: "other" }));
    await store.record(await flagged(7, { snapshot: null }));
    const out = join(scratch(), "dataset");
    expect(await exportCoco(store, { source: "cam" }, out)).toEqual({ images: 1, skipped: 1 });
    const coco = JSON.parse(await readFile(join(out, "annotations.json"), "utf8")) as CocoDataset;
    expect(coco).toMatchObject({ licenses: [], annotations: [], categories: [], info: { description: "sightline events" } });
    expect(coco.images).toEqual([
      expect.objectContaining({ id: 1, width: 32, height: 24, date_captured: expect.any(String), sightline: expect.objectContaining({ frame_number: 5 }) }),
    ]);
    for (const image of coco.images) {
      const metadata = await sharp(await readFile(join(out, "images", image.file_name))).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(["jpeg", image.width, image.height]);
    }
    await store.close();
    await rm(out, { recursive: true });
  });

  it("opens read-only without repairing or writing", async () => {
    const dir = join(scratch(), "read-only");
    const store = await EventStore.open(dir);
    await store.record(await flagged(1));
    await appendFile(join(dir, "index.jsonl"), '{"torn');
    const reader = await EventStore.open(dir, { readOnly: true });
    expect(reader.list().total).toBe(1);
    await expect(reader.record(await flagged(2))).rejects.toThrow(/read-only/);
    expect(await readFile(join(dir, "index.jsonl"), "utf8")).toMatch(/\{"torn$/);
    await store.close();
  });
});

describe("eventScore", () => {
  it("reads a score named score or …_score, else a percentile, next to the flag that fired first", () => {
    expect(eventScore({ door: { is_outlier: true, percentile: 0.9 }, yard: { is_outlier: false, score: 3 } }, ["door.is_outlier"])).toEqual({
      score: 0.9,
      output: "door.percentile",
    });
    expect(eventScore({ yard: { is_outlier: true, z_score: 4.5, percentile: 0.97 } }, ["yard.is_outlier"])).toEqual({ score: 4.5, output: "yard.z_score" });
    expect(eventScore({ is_outlier: true, nsfw_score: 0.8 }, ["is_outlier"])).toEqual({ score: 0.8, output: "nsfw_score" });
    expect(eventScore({ is_outlier: true, score: "high" }, ["is_outlier"])).toBeNull();
  });
});
