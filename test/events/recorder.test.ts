/**
 * The frames around an event (docs/reference/events.md#frames-around), on a real store in a real
 * folder: ticks of two sources fed to an `EventRecorder` as a pipeline feeds them — the N frames
 * with pixels before a flagged frame and the N after it, per source, each a JPEG of its frame;
 * fewer at the start and when the stream ends; none with N = 0; kept across a reopen, counted
 * and removed by retention.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { EventRecorder, EventStore, type AroundFrame, type EventRecord, type EventStoreOptions } from "../../src/events/index.js";
import { WorkflowImage } from "../../src/images/index.js";
import type { FrameResult } from "../../src/video/index.js";
import { scratchDir } from "../video/helpers.js";

const scratch = scratchDir("events-recorder");
const WIDTH = 16;
const HEIGHT = 12;

/** Frame `number` of source `index`: solid grey of a level the test can read back from a JPEG. */
function result(index: number, number: number, options: { flagged?: boolean; pixels?: boolean } = {}): FrameResult {
  const level = levelOf(index, number);
  const pixels = options.pixels ?? true;
  const image = new WorkflowImage({
    width: WIDTH,
    height: HEIGHT,
    // A frame without pixels must never be read: no step asked for them.
    data: pixels ? new Uint8Array(WIDTH * HEIGHT * 3).fill(level) : () => expect.fail(`frame ${number} has no pixels`),
    parentId: "image",
  });
  const flagged = options.flagged ?? false;
  return {
    frame: {
      source: `cam${index}`,
      sourceIndex: index,
      frameNumber: number,
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, number)),
      image,
      bytes: pixels ? WIDTH * HEIGHT * 3 : 0,
    },
    outputs: { is_outlier: flagged },
    error: null,
    flagged,
  };
}

const levelOf = (index: number, number: number) => 10 + 20 * number + 100 * index;

async function recordTicks(recorder: EventRecorder, ticks: FrameResult[][]): Promise<void> {
  for (const tick of ticks) await recorder.recordTick(tick, (frame) => frame.outputs);
}

async function events(store: EventStore): Promise<EventRecord[]> {
  const page = store.list({}, { limit: 500 });
  return Promise.all(page.events.reverse().map(async (summary) => (await store.get(summary.id))!));
}

const shape = (around: readonly AroundFrame[]) => around.map((frame) => [frame.offset, frame.frame_number]);

async function openStore(name: string, options: EventStoreOptions = {}): Promise<EventStore> {
  return EventStore.open(join(scratch(), name), options);
}

describe("EventRecorder: frames around an event", () => {
  it("keeps the N frames with pixels before and after each flagged frame of a source, each a JPEG of its frame", async () => {
    const store = await openStore("two-sources", { framesAround: 2 });
    const recorder = new EventRecorder(store, { pipelineId: "p", flagOutputs: undefined });
    const flaggedAt = new Set([1, 5, 6, 9]);
    const ticks = Array.from({ length: 9 }, (_, i) => {
      const number = i + 1;
      // Source 0: frame 4 has no pixels and is skipped; source 1 flags frame 3 and ends after frame 4.
      const tick = [result(0, number, { flagged: flaggedAt.has(number), pixels: number !== 4 })];
      if (number <= 4) tick.push(result(1, number, { flagged: number === 3 }));
      return tick;
    });
    await recordTicks(recorder, ticks);

    const recorded = await events(store);
    expect(recorded.map((event) => [event.source_index, event.frame_number])).toEqual([
      [0, 1],
      [1, 3],
      [0, 5],
      [0, 6],
      [0, 9],
    ]);
    expect(recorded.map((event) => shape(event.around))).toEqual([
      [
        [1, 2],
        [2, 3],
      ], // nothing before the first frame
      [
        [-2, 1],
        [-1, 2],
        [1, 4],
      ], // the source ended one frame after
      [
        [-2, 2],
        [-1, 3],
        [1, 6],
        [2, 7],
      ], // frame 4 had no pixels
      [
        [-2, 3],
        [-1, 5],
        [1, 7],
        [2, 8],
      ],
      [
        [-2, 7],
        [-1, 8],
      ], // the stream ended
    ]);
    for (const event of recorded) {
      for (const frame of event.around) {
        expect(frame.image).toEqual({ width: WIDTH, height: HEIGHT });
        expect(frame.frame_timestamp).toBe(`2026-01-01T00:00:${String(frame.frame_number).padStart(2, "0")}+00:00`);
        const path = (await store.aroundPicturePath(event.id, frame.frame_number))!;
        const { data, info } = await sharp(await readFile(path))
          .raw()
          .toBuffer({ resolveWithObject: true });
        expect([info.width, info.height]).toEqual([WIDTH, HEIGHT]);
        expect(Math.abs(data[0] - levelOf(event.source_index, frame.frame_number)), `frame ${frame.frame_number}'s own pixels`).toBeLessThanOrEqual(3);
      }
      expect(await store.aroundPicturePath(event.id, event.frame_number), "the event's own frame is its snapshot").toBeUndefined();
    }
    await store.close();
  });

  it("counts the frames around in the event's size, keeps them across a reopen, and removes them with the event", async () => {
    const dir = join(scratch(), "retention");
    const store = await EventStore.open(dir, { framesAround: 1 });
    const recorder = new EventRecorder(store, { pipelineId: "p", flagOutputs: undefined });
    await recordTicks(recorder, [[result(0, 1)], [result(0, 2, { flagged: true })], [result(0, 3)]]);
    const [event] = await events(store);
    expect(shape(event.around)).toEqual([
      [-1, 1],
      [1, 3],
    ]);
    const files = [`${event.id}.jpg`, `${event.id}.thumb.jpg`, `${event.id}.json`, `${event.id}.around/1.jpg`, `${event.id}.around/3.jpg`];
    const onDisk = (await Promise.all(files.map((file) => readFile(join(dir, file))))).reduce((sum, data) => sum + data.length, 0);
    const { bytes } = store.summary(event.id)!;
    // `bytes` is about the files' size: the event file counts itself a few digits short.
    expect(onDisk - bytes).toBeGreaterThanOrEqual(0);
    expect(onDisk - bytes).toBeLessThan(10);
    await store.close();

    const reopened = await EventStore.open(dir, { framesAround: 1, retention: { maxAgeMs: 1e12, maxBytes: bytes + 1 } });
    expect(reopened.summary(event.id)!.bytes, "the index has the size with the frame after").toBe(bytes);
    expect(await reopened.get(event.id)).toEqual(event);
    // One more event with its frames: beyond the size limit, the first goes with its folder.
    const again = new EventRecorder(reopened, { pipelineId: "p", flagOutputs: undefined });
    await recordTicks(again, [[result(0, 7, { flagged: true })], [result(0, 8)]]);
    expect(reopened.list().events.map((summary) => summary.frame_number)).toEqual([7]);
    expect((await readdir(dir)).filter((name) => name.startsWith(event.id))).toEqual([]);
    await reopened.close();
  });

  it("keeps none with N = 0, and records a frame run again once, without frames added to it", async () => {
    const off = await openStore("off", { framesAround: 0 });
    await recordTicks(new EventRecorder(off, { pipelineId: "p", flagOutputs: undefined }), [[result(0, 1)], [result(0, 2, { flagged: true })], [result(0, 3)]]);
    const [event] = await events(off);
    expect(event.around).toEqual([]);
    expect((await readdir(off.dir)).filter((name) => name.endsWith(".around"))).toEqual([]);
    await off.close();

    // A restart runs frames 2 and 3 again: the event is there already and keeps what it had.
    const store = await openStore("rerun", { framesAround: 2 });
    await recordTicks(new EventRecorder(store, { pipelineId: "p", flagOutputs: undefined }), [[result(0, 1)], [result(0, 2, { flagged: true })]]);
    await recordTicks(new EventRecorder(store, { pipelineId: "p", flagOutputs: undefined }), [[result(0, 2, { flagged: true })], [result(0, 3)]]);
    const [kept] = await events(store);
    expect(shape(kept.around)).toEqual([[-1, 1]]);
    expect(store.list().total).toBe(1);
    await store.close();
  });
});
