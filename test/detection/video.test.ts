/**
 * Per-object outliers on a video: detector → crop → CLIP → identify_outliers through the video
 * pipeline, one score per object per frame, with read-ahead giving exactly the frame-by-frame
 * results (docs/architecture.md#dimensionality).
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, Services } from "../../src/index.js";
import { createTinyClipModel } from "../../src/models/index.js";
import { createTinyYoloModel } from "../../src/models/testing/tiny-detector.js";
import { VideoPipeline } from "../../src/video/pipeline.js";
import { makeTestVideo, type TestVideo } from "../../src/video/testing.js";
import { scratchDir } from "../video/helpers.js";

const scratch = scratchDir("detection-video");
let folders: Record<string, string>;
let video: TestVideo;

/**
 * The 64×48 frames are letterboxed into the 64×64 input with 8 rows of padding above, so on the
 * frame y = y_in − 8: object 0 at (8, 8)–(24, 24), object 1 at (40, 24)–(56, 40).
 */
const CANDIDATES = [
  { cx: 16, cy: 24, w: 16, h: 16, scores: [0.9] },
  { cx: 48, cy: 40, w: 16, h: 16, scores: [0.8] },
];

beforeAll(async () => {
  folders = {
    "things/1": await createTinyYoloModel(join(scratch(), "yolo"), { classNames: ["thing"], candidates: CANDIDATES }),
    "ViT-B-32": await createTinyClipModel(join(scratch(), "clip")),
  };
  // object 1 turns red on frames 25–27; object 0 never changes but for the noise
  video = await makeTestVideo(join(scratch(), "objects.mp4"), {
    frames: 32,
    background: "noise",
    anomalies: [{ from: 25, to: 27, color: "red", box: { x: 40, y: 24, width: 16, height: 16 } }],
  });
});

const WORKFLOW = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [
    { type: "roboflow_core/roboflow_object_detection_model@v2", name: "detect", images: "$inputs.image", model_id: "things/1" },
    { type: "roboflow_core/dynamic_crop@v1", name: "crop", images: "$inputs.image", predictions: "$steps.detect.predictions" },
    { type: "roboflow_core/clip@v1", name: "embedding", data: "$steps.crop.crops" },
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$steps.embedding.embedding", warmup: 5 },
  ],
  outputs: [
    { type: "JsonField", name: "percentile", selector: "$steps.outliers.percentile" },
    { type: "JsonField", name: "warming_up", selector: "$steps.outliers.warming_up" },
  ],
};

async function runVideo(readAheadFrames: number): Promise<Record<string, unknown>[]> {
  const services = new Services({ models: { folders, inferenceWorkers: 1 } });
  const engine = compile(WORKFLOW, { services, isolateElementErrors: true });
  const outputs: Record<string, unknown>[] = [];
  try {
    const pipeline = new VideoPipeline({
      engine,
      videos: [video.path],
      readAheadFrames,
      onTick: (_tick, results) => {
        for (const result of results) outputs.push(result.outputs);
      },
    });
    const status = await pipeline.run();
    expect(status.errors).toBe(0);
    return outputs;
  } finally {
    await engine.close();
    await services.close();
  }
}

describe("per-object outliers on video", () => {
  it("scores each object of each frame on the stream's state, the changed object as unusual; read-ahead changes nothing", async () => {
    const frameByFrame = await runVideo(0);
    expect(frameByFrame).toHaveLength(32);
    for (const outputs of frameByFrame) expect((outputs.percentile as unknown[]).length).toBe(2);
    // the stream's state holds both objects' embeddings, so its warm-up (5) ends within the third frame
    expect(frameByFrame.slice(0, 3).map((outputs) => outputs.warming_up)).toEqual([
      [true, true],
      [true, true],
      [false, false],
    ]);
    // the red object is unlike anything seen before on each of its frames; the other one is not
    const percentiles = (frame: number) => frameByFrame[frame - 1].percentile as number[];
    expect([25, 26, 27].map((frame) => percentiles(frame)[1])).toEqual([0, 0, 0]);
    expect([25, 26, 27].every((frame) => percentiles(frame)[0] > 0)).toBe(true);

    expect(await runVideo(8)).toEqual(frameByFrame);
  });
});
