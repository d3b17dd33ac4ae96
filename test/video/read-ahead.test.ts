/**
 * Reading frames of a file ahead: CLIP embeds them in batches, and the results are those of a
 * frame-by-frame run. Behind a rate limiter, the frames no step reads the pixels of are not piped.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, Services } from "../../src/index.js";
import { modelRuntime, createTinyClipModel } from "../../src/models/index.js";
import { VideoPipeline } from "../../src/video/pipeline.js";
import { makeTestVideo, type TestVideo } from "../../src/video/testing.js";
import { videoTimeSampler } from "../helpers/workflows.js";
import { scratchDir } from "./helpers.js";

const scratch = scratchDir("video-read-ahead");
let model: string;
let clip: TestVideo;
/** Every frame different (a moving test pattern), so a frame numbered wrong changes its embedding. */
let moving: TestVideo;

beforeAll(async () => {
  model = await createTinyClipModel(join(scratch(), "tiny-clip"));
  clip = await makeTestVideo(join(scratch(), "clip.mp4"), { frames: 40, anomalies: [{ from: 25, to: 27, color: "red" }] });
  moving = await makeTestVideo(join(scratch(), "moving.mp4"), { frames: 40, background: "testsrc2" });
});

const WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "roboflow_core/clip@v1", name: "embedding", data: "$inputs.image" },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.embedding.embedding", warmup: 5 },
  ],
  outputs: [
    { type: "JsonField", name: "embedding", selector: "$steps.embedding.embedding" },
    { type: "JsonField", name: "is_outlier", selector: "$steps.outliers.is_outlier" },
    { type: "JsonField", name: "percentile", selector: "$steps.outliers.percentile" },
  ],
};

/** CLIP on one frame per second of video: a rate limiter on video time in front of it. */
const SAMPLED = {
  ...WORKFLOW,
  steps: [videoTimeSampler("embedding"), ...WORKFLOW.steps],
};

async function runFile(
  readAheadFrames: number,
  workflow: object = WORKFLOW,
  options: { videos?: TestVideo[]; decodeEveryFrame?: boolean } = {},
): Promise<{ outputs: Record<string, unknown>[]; visionRuns: number; visionImages: number; withoutPixels: number }> {
  const services = new Services({ models: { folders: { "ViT-B-32": model } } });
  const engine = compile(workflow, { services, isolateElementErrors: true });
  const outputs: Record<string, unknown>[] = [];
  try {
    const pipeline = new VideoPipeline({
      engine,
      videos: (options.videos ?? [clip]).map((video) => video.path),
      readAheadFrames,
      decodeEveryFrame: options.decodeEveryFrame,
      onTick: (_tick, results) => {
        for (const result of results) outputs.push(result.outputs);
      },
    });
    const status = await pipeline.run();
    expect(status.errors).toBe(0);
    const { visionRuns, visionImages } = services.get(modelRuntime).stats;
    const withoutPixels = status.sources.reduce((sum, source) => sum + source.framesWithoutPixels, 0);
    return { outputs, visionRuns, visionImages, withoutPixels };
  } finally {
    await engine.close();
    await services.close();
  }
}

describe("read-ahead of file frames", () => {
  it("embeds frames read ahead in shared inferences and gives exactly the frame-by-frame outputs", async () => {
    const frameByFrame = await runFile(0);
    const readAhead = await runFile(8);
    expect(frameByFrame.outputs).toHaveLength(clip.frames);
    expect(frameByFrame.visionRuns).toBe(clip.frames);
    expect(readAhead.visionRuns).toBeLessThan(clip.frames);
    expect(readAhead.outputs).toEqual(frameByFrame.outputs);
    expect(readAhead.outputs.slice(25, 27).some((outputs) => outputs.is_outlier === true)).toBe(true);
  });

  it("behind a rate limiter, embeds exactly the sampled frames ahead of time, none wasted", async () => {
    const frameByFrame = await runFile(0, SAMPLED);
    const readAhead = await runFile(64, SAMPLED);
    const sampled = frameByFrame.outputs.flatMap((outputs, i) => (outputs.embedding === null ? [] : [i + 1]));
    expect(sampled).toEqual([1, 11, 21, 31]); // 40 frames at 10 fps
    expect(readAhead.outputs).toEqual(frameByFrame.outputs);
    expect(readAhead.visionImages).toBe(sampled.length);
  });

  it("behind a rate limiter, pipes only the frames CLIP reads (and the last eight), with the same pixels as when every frame is piped", async () => {
    const everyFrame = await runFile(64, SAMPLED, { videos: [moving], decodeEveryFrame: true });
    const sparse = await runFile(64, SAMPLED, { videos: [moving] });
    const embeddings = sparse.outputs.flatMap((outputs) => (outputs.embedding === null ? [] : [JSON.stringify(outputs.embedding)]));
    expect(embeddings).toHaveLength(4); // frames 1, 11, 21, 31
    expect(new Set(embeddings).size).toBe(4);
    expect(sparse.outputs).toEqual(everyFrame.outputs);
    expect(everyFrame.withoutPixels).toBe(0);
    expect(sparse.withoutPixels).toBe(40 - 4 - 8); // piped: 1, 11, 21, 31 and 33…40
  });

  it("plans each source of a run on its own stream's rate limiter state", async () => {
    const everyFrame = await runFile(64, SAMPLED, { videos: [moving, clip], decodeEveryFrame: true });
    const sparse = await runFile(64, SAMPLED, { videos: [moving, clip] });
    // one result per frame, the two sources' frames of a tick side by side
    expect(sparse.outputs).toHaveLength(80);
    const embedded = sparse.outputs.flatMap((outputs, i) => (outputs.embedding === null ? [] : [i]));
    expect(embedded).toEqual([0, 1, 20, 21, 40, 41, 60, 61]); // frames 1, 11, 21, 31 of each
    expect(sparse.outputs).toEqual(everyFrame.outputs);
    expect(sparse.withoutPixels).toBe(2 * 28);
  });

  it("holds at most readAheadBytes of decoded frames ahead, whatever readAheadFrames says", async () => {
    const engine = compile({ version: "1.0", inputs: [{ type: "WorkflowImage", name: "image" }], steps: [], outputs: [] });
    const frameBytes = 64 * 48 * 1.5; // 4:2:0
    let ticks = 0;
    let mostAhead = 0;
    const pipeline = new VideoPipeline({
      engine,
      videos: [clip.path],
      readAheadFrames: 1000,
      readAheadBytes: 5 * frameBytes,
      decodeEveryFrame: true, // (no step reads pixels here: otherwise the frames would come without)
      onTick: async () => {
        ticks++;
        await new Promise((resolve) => setTimeout(resolve, 5)); // a slow consumer: the read-ahead fills
        mostAhead = Math.max(mostAhead, pipeline.status().sources[0].framesDelivered - ticks);
      },
    });
    await pipeline.run();
    expect(ticks).toBe(40);
    expect(mostAhead).toBeLessThanOrEqual(5); // a read is made while what is held and asked for is under five frames
    expect(mostAhead).toBeGreaterThanOrEqual(4);
  });
});
