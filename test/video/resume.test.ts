/**
 * Sources that start after a given frame (`startAfterFrame`), the building block of pipelines
 * that resume after a restart or a takeover: every frame after N is the frame of an uninterrupted
 * run — number, timestamp, metadata, pixels — and a pipeline resumed from a snapshot gives the
 * uninterrupted run's results, frame by frame.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { z } from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { defineBlock, selector } from "../../src/block-api/index.js";
import { compile, createRegistry, type EngineSnapshot } from "../../src/index.js";
import { RuntimeInputError } from "../../src/errors/index.js";
import { VideoMultiplexer, VideoPipeline, type SourceEvent, type SourceFrame, type VideoSourceSpec } from "../../src/video/index.js";
import { makeTestVideo, serveTestStream, type TestVideo } from "../../src/video/testing.js";
import { videoTimeSampler } from "../helpers/workflows.js";
import { scratchDir, waitFor } from "./helpers.js";

const scratch = scratchDir("video-resume");
/** 40 frames at 10 fps of a moving pattern: every frame's pixels differ. */
let moving: TestVideo;
/** 25 frames of another pattern, so two files of one run end at different ticks. */
let bars: TestVideo;
/** 12 images of different colours. */
let folder: string;

beforeAll(async () => {
  moving = await makeTestVideo(join(scratch(), "moving.mp4"), { frames: 40, background: "testsrc2" });
  bars = await makeTestVideo(join(scratch(), "bars.mp4"), { frames: 25, background: "smptebars", anomalies: [{ from: 9, to: 11, color: "red" }] });
  folder = join(scratch(), "images");
  await mkdir(folder);
  for (let i = 1; i <= 12; i++) {
    const background = { r: (i * 20) % 256, g: 255 - i * 15, b: (i * 70) % 256 };
    await sharp({ create: { width: 40, height: 30, channels: 3, background } })
      .png()
      .toFile(join(folder, `frame${i}.png`));
  }
});

const digest = (data: Uint8Array) => createHash("sha1").update(data).digest("hex");

/** What a frame is, as a run from the start would have it (measured fps is the decoder's speed, not the frame's). */
function frameSeen(frame: SourceFrame) {
  const { measured_fps: _speed, ...metadata } = frame.image.videoMetadata;
  return {
    source: frame.source,
    frameNumber: frame.frameNumber,
    timestamp: frame.timestamp.getTime(),
    metadata: { ...metadata, frame_timestamp: metadata.frame_timestamp.getTime() },
    size: [frame.image.width, frame.image.height],
  };
}

/** A frame and its pixels' digest (null: delivered without pixels, see `pixelDemand`). */
function frameWithPixels(frame: SourceFrame) {
  return { ...frameSeen(frame), pixels: frame.bytes > 0 ? digest(frame.image.data) : null };
}

async function framesOf(
  specs: ReadonlyArray<string | VideoSourceSpec>,
  onEvent?: (event: SourceEvent) => void,
): Promise<{ frames: ReturnType<typeof frameWithPixels>[]; multiplexer: VideoMultiplexer }> {
  const multiplexer = await VideoMultiplexer.open(specs, { onEvent });
  const frames: ReturnType<typeof frameWithPixels>[] = [];
  for await (const tick of multiplexer) for (const frame of tick.frames) frames.push(frameWithPixels(frame));
  return { frames, multiplexer };
}

describe("a video file started after frame N", () => {
  it.each([
    ["every frame", {}, 12],
    ["scaled", { scale: { width: 32 } }, 12],
    ["sampled, N a sampled frame", { sampleFps: 3.3 }, 13], // every 3rd: 1, 4, …, 13, 16, …
    ["sampled, N between sampled frames", { sampleFps: 3.3 }, 14],
    ["N = 0", {}, 0],
  ])("%s: delivers exactly the frames after N of a run from the start", async (_, options, after) => {
    const full = await framesOf([{ reference: moving.path, ...options }]);
    const resumed = await framesOf([{ reference: moving.path, ...options, startAfterFrame: after }]);
    const tail = full.frames.filter((frame) => frame.frameNumber > after);
    expect(tail.length).toBeGreaterThan(5);
    expect(tail[0].pixels).not.toBeNull();
    expect(resumed.frames).toEqual(tail);
    // counters are this run's; the frame count is the source's, from frame 1
    expect(resumed.multiplexer.stats()[0]).toMatchObject({
      state: "ended",
      framesDecoded: tail.length,
      framesDelivered: tail.length,
      errors: 0,
      totalFrames: full.multiplexer.stats()[0].totalFrames,
    });
  });

  it("with a pixel demand, forecasts from frame N + 1 and pipes the same frames' pixels as a run from the start", async () => {
    const asked: number[] = [];
    // the demand a run from the start would have from frame 15 on: every 10th frame
    const demand: VideoSourceSpec["pixelDemand"] = () => (frame) => {
      asked.push(frame.metadata.frame_number);
      return frame.metadata.frame_number % 10 === 1;
    };
    const full = await framesOf([{ reference: moving.path, pixelDemand: demand }]);
    asked.length = 0;
    const resumed = await framesOf([{ reference: moving.path, pixelDemand: demand, startAfterFrame: 14 }]);
    expect(asked).toEqual(Array.from({ length: 26 }, (_, i) => 15 + i));
    expect(resumed.frames).toEqual(full.frames.slice(14));
    expect(resumed.frames.filter((frame) => frame.pixels !== null).map((frame) => frame.frameNumber)).toEqual([21, 31, 33, 34, 35, 36, 37, 38, 39, 40]);
    expect(resumed.multiplexer.stats()[0]).toMatchObject({ framesDelivered: 26, framesWithoutPixels: 16, errors: 0 });
  });

  it.each([
    ["at the last frame", 40],
    ["beyond the end", 1000],
  ])("%s: ends at once with no frame, normally", async (_, after) => {
    const events: SourceEvent[] = [];
    const { frames, multiplexer } = await framesOf([{ reference: moving.path, startAfterFrame: after }], (event) => events.push(event));
    expect(frames).toEqual([]);
    expect(events).toEqual([{ type: "ended", source: "0", reference: moving.path, frames: 0 }]);
    expect(multiplexer.stats()[0]).toMatchObject({ state: "ended", framesDecoded: 0, framesDelivered: 0, errors: 0 });
  });

  it("refuses a negative or fractional frame, naming the source", async () => {
    await expect(VideoMultiplexer.open([moving.path, { reference: moving.path, name: "cam", startAfterFrame: -1 }])).rejects.toThrow(RuntimeInputError);
    await expect(VideoMultiplexer.open([moving.path, { reference: moving.path, name: "cam", startAfterFrame: -1 }])).rejects.toThrow(
      `video source cam (${moving.path}): startAfterFrame must be a whole number ≥ 0, got -1`,
    );
    await expect(VideoMultiplexer.open([{ reference: folder, startAfterFrame: 2.5 }])).rejects.toThrow(
      `video source 0 (${folder}): startAfterFrame must be a whole number ≥ 0, got 2.5`,
    );
  });
});

describe("an image folder started after frame N", () => {
  it.each([
    ["every image", {}, 5],
    ["scaled", { scale: { width: 20 } }, 5],
    ["sampled", { fps: 10, sampleFps: 5 }, 6], // every 2nd: 1, 3, …, 7, 9, 11
  ])("%s: delivers exactly the frames after N of a run from the start", async (_, options, after) => {
    const full = await framesOf([{ reference: folder, ...options }]);
    const resumed = await framesOf([{ reference: folder, ...options, startAfterFrame: after }]);
    const tail = full.frames.filter((frame) => frame.frameNumber > after);
    expect(tail.length).toBeGreaterThanOrEqual(3);
    expect(resumed.frames).toEqual(tail);
    expect(resumed.multiplexer.stats()[0]).toMatchObject({
      state: "ended",
      framesDelivered: tail.length,
      totalFrames: full.multiplexer.stats()[0].totalFrames,
    });
  });

  it("ends at once with no frame when N is at or beyond the last image", async () => {
    for (const after of [12, 50]) {
      const events: SourceEvent[] = [];
      const { frames } = await framesOf([{ reference: folder, startAfterFrame: after }], (event) => events.push(event));
      expect(frames).toEqual([]);
      expect(events).toEqual([{ type: "ended", source: "0", reference: folder, frames: 0 }]);
    }
  });
});

describe("a live stream started after frame N", () => {
  it("numbers its frames from N + 1", async () => {
    const server = await serveTestStream({ fps: 25 });
    const multiplexer = await VideoMultiplexer.open([{ reference: server.url, startAfterFrame: 500 }]);
    try {
      const source = multiplexer.sources[0];
      await waitFor("frames to be decoded", () => source.stats().framesDecoded >= 3);
      const first = (await multiplexer.next())!.frames[0];
      const decoded = source.stats().framesDecoded;
      expect(first.frameNumber).toBeGreaterThan(502);
      expect(first.frameNumber).toBeLessThanOrEqual(500 + decoded);
      expect(first.image.videoMetadata.frame_number).toBe(first.frameNumber);
      expect(decoded).toBeLessThan(500); // counters are this run's
      const second = (await multiplexer.next())!.frames[0];
      expect(second.frameNumber).toBeGreaterThan(first.frameNumber);
    } finally {
      await multiplexer.stop();
      await server.kill();
    }
  });
});

// ---- a pipeline resumed from a snapshot ----------------------------------------------------------

/** Reads a frame's pixels (so the pixel demand applies to it): their digest and mean colour. */
const pixelSummary = defineBlock({
  manifest: {
    type: "resume_test/pixel_summary@v1",
    name: "Pixel summary",
    family: "test",
    description: "The digest and the mean colour (+1, never a zero vector) of an image's pixels.",
    properties: z.object({ image: selector(["image"]) }),
    outputs: [
      { name: "digest", kinds: ["string"] },
      { name: "colour", kinds: ["embedding"] },
    ],
  },
  run({ image }) {
    const data = image.data;
    const sums = [0, 0, 0];
    for (let i = 0; i < data.length; i++) sums[i % 3] += data[i];
    return { digest: digest(data), colour: sums.map((sum) => 1 + (3 * sum) / data.length) };
  },
});

const registry = createRegistry((blocks) => blocks.register(pixelSummary));

/** Stateful and model-free: a rate limiter on video time in front of the pixels, then two stream detectors. */
const WORKFLOW = {
  version: "1.0",
  inputs: [
    { type: "WorkflowImage", name: "image" },
    { type: "WorkflowVideoMetadata", name: "video_metadata" },
  ],
  steps: [
    videoTimeSampler("pixels", 0.5),
    { type: "resume_test/pixel_summary@v1", name: "pixels", image: "$inputs.image" },
    { type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$steps.pixels.colour", warmup: 2 },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.pixels.colour", warmup: 2, window_size: 4 },
  ],
  outputs: [
    { type: "JsonField", name: "digest", selector: "$steps.pixels.digest" },
    { type: "JsonField", name: "change", selector: "$steps.changes.percentile" },
    { type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" },
    { type: "JsonField", name: "outlier_percentile", selector: "$steps.outliers.percentile" },
  ],
};

interface Checkpoint {
  snapshot: EngineSnapshot;
  /** Per source position, the last frame number processed (0: none yet). */
  lastFrames: number[];
}

/** Runs the workflow over `videos` (from `checkpoint` if given); with `stopAtTick`, checkpoints there and stops. */
async function runPipeline(videos: readonly VideoSourceSpec[], options: { checkpoint?: Checkpoint; stopAtTick?: number; sampleFps?: number }) {
  const engine = compile(WORKFLOW, { registry, isolateElementErrors: true, snapshot: options.checkpoint?.snapshot });
  const lastFrames = options.checkpoint ? [...options.checkpoint.lastFrames] : videos.map(() => 0);
  const results: unknown[] = [];
  let checkpoint: Checkpoint | null = null;
  const pipeline = new VideoPipeline({
    engine,
    videos: videos.map((spec, index) => ({ ...spec, startAfterFrame: lastFrames[index] })),
    sampleFps: options.sampleFps,
    onTick: async (tick, frameResults) => {
      if (checkpoint) return; // ticks read ahead before the stop: a resumed run redoes them
      // (whether a frame came with pixels depends on what is left to pipe; the digest output is the pixels read)
      for (const { frame, outputs, error } of frameResults) {
        results.push({ frame: frameSeen(frame), outputs, error });
        lastFrames[frame.sourceIndex] = frame.frameNumber;
      }
      if (tick.index === options.stopAtTick) {
        checkpoint = { snapshot: engine.snapshot(), lastFrames: [...lastFrames] };
        await pipeline.stop();
      }
    },
  });
  try {
    const status = await pipeline.run();
    return { results, checkpoint: checkpoint as Checkpoint | null, status };
  } finally {
    await engine.close();
  }
}

describe("a pipeline resumed from a snapshot", () => {
  const sources = (): VideoSourceSpec[] => [
    { reference: moving.path, name: "moving" },
    { reference: bars.path, name: "bars" },
    { reference: folder, name: "images", fps: 10 },
  ];

  it.each<[string, { sampleFps?: number }, number]>([
    ["pixel demand", {}, 17], // the folder has ended at tick 17: it resumes after its last image
    ["pixel demand, early checkpoint", {}, 6],
    ["sampled frames", { sampleFps: 5 }, 7],
  ])("%s: the results before and after the checkpoint are those of an uninterrupted run", async (_, options, stopAtTick) => {
    const uninterrupted = await runPipeline(sources(), options);
    const first = await runPipeline(sources(), { ...options, stopAtTick });
    expect(first.checkpoint).not.toBeNull();
    const resumed = await runPipeline(sources(), { ...options, checkpoint: first.checkpoint! });
    expect(uninterrupted.status.errors).toBe(0);
    expect(uninterrupted.results.length).toBeGreaterThan(first.results.length);
    expect([...first.results, ...resumed.results]).toEqual(uninterrupted.results);
    // the run is not trivial: the detectors saw frames on both sides, and pixels were read after the checkpoint
    const digests = (results: unknown[]) => results.filter((result) => (result as { outputs: { digest: unknown } }).outputs.digest !== null).length;
    expect(digests(first.results)).toBeGreaterThan(1);
    expect(digests(resumed.results)).toBeGreaterThan(1);
    if (options.sampleFps === undefined) {
      // a rate limiter on video time in front of the only step reading pixels: the long file's other frames were not piped
      expect(resumed.status.sources[0].framesWithoutPixels).toBeGreaterThan(0);
    }
    // the resumed run's counters are its own
    expect(resumed.status.frames).toBe(resumed.results.length);
    expect(resumed.status.sources.reduce((sum, source) => sum + source.framesDelivered, 0)).toBe(resumed.results.length);
  });
});
