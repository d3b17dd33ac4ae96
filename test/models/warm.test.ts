/** Warming: inference started ahead of need is taken by the run, not done twice, and changes nothing. */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, Services, toJpegBase64, WorkflowImage } from "../../src/index.js";
import { modelRuntime, ModelRuntime, createTinyClipModel } from "../../src/models/index.js";
import { tempDir } from "../helpers/cli.js";
import { statement, videoTimeSampler } from "../helpers/workflows.js";

let model: string;

function frame(shade: number, videoFrame?: number): WorkflowImage {
  const data = new Uint8Array(64 * 48 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * shade) % 256;
  const videoMetadata =
    videoFrame === undefined
      ? undefined
      : {
          video_identifier: "cam",
          frame_number: videoFrame,
          frame_timestamp: new Date(videoFrame * 100),
          fps: 10,
          measured_fps: null,
          comes_from_video_file: true,
        };
  return new WorkflowImage({ width: 64, height: 48, data, parentId: `frame-${shade}`, videoMetadata });
}

/** Services with the tiny CLIP on one inference worker, so inference counts are exact. */
function tinyClipServices(): Services {
  return new Services({ models: { folders: { "ViT-B-32": model }, inferenceWorkers: 1 } });
}

beforeAll(async () => {
  model = await createTinyClipModel(join(tempDir(), "tiny-clip"));
});

/** CLIP on the image input, its embedding the output. */
const plain = {
  version: "1.0",
  inputs: [{ type: "WorkflowImage", name: "image" }],
  steps: [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" }],
  outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
};

describe("ModelRuntime.warmImages", () => {
  it("starts the inference once; embedImages takes its result, equal to a cold embedding", async () => {
    const warm = new ModelRuntime({ folders: { "ViT-B-32": model }, inferenceWorkers: 1 });
    const cold = new ModelRuntime({ folders: { "ViT-B-32": model }, inferenceWorkers: 1 });
    try {
      const images = [frame(3), frame(7)];
      warm.warmImages(images);
      const embeddings = await warm.embedImages(images);
      expect(warm.stats.visionRuns).toBe(1);
      expect(warm.stats.visionImages).toBe(2);
      expect(embeddings).toEqual(await cold.embedImages(images));
      // Taken once: embedding the same images again computes them again.
      await warm.embedImages(images);
      expect(warm.stats.visionImages).toBe(4);
    } finally {
      await warm.close();
      await cold.close();
    }
  });
});

describe("ModelRuntime.warmImages when the inference fails", () => {
  it("gives the error to whoever takes the warm, and one nobody takes is no unhandled rejection", async () => {
    const runtime = new ModelRuntime({ folders: { "ViT-B-32": model }, inferenceWorkers: 1 });
    const unreadable = (id: string) =>
      new WorkflowImage({
        width: 8,
        height: 8,
        data: () => {
          throw new Error("no pixels here");
        },
        parentId: id,
      });
    try {
      const [taken, forgotten] = [unreadable("taken"), unreadable("forgotten")];
      runtime.warmImages([taken, forgotten]);
      await runtime.warmingDone();
      // `forgotten` is never taken: its failed warm would surface here as an unhandled rejection,
      // which fails the test run.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(runtime.embedImages([taken])).rejects.toThrow("no pixels here");
    } finally {
      await runtime.close();
    }
  });
});

describe("engine.warm", () => {
  /** At 10 fps (the test frames' rate), a 1 s cooldown passes frames 1, 11, 21… */
  const sampledEvery10Frames = {
    ...plain,
    steps: [videoTimeSampler("clip"), ...plain.steps],
  };

  it("embeds the next frames ahead for ungated steps fed by inputs, and the run uses them", async () => {
    const services = tinyClipServices();
    try {
      const engine = compile(plain, { services });
      const next = [frame(5), frame(11)];
      engine.warm({ image: next });
      const runtime = services.get(modelRuntime);
      const [first, second] = await engine.run({ image: next });
      expect(runtime.stats.visionRuns).toBe(1);
      const cold = tinyClipServices();
      expect(first.embedding).toEqual((await compile(plain, { services: cold }).run({ image: frame(5) }))[0].embedding);
      await cold.close();
      expect(second.embedding).not.toEqual(first.embedding);
    } finally {
      await services.close();
    }
  });

  it("forecasts a rate limiter on video time: warms exactly the frames it will let through, read ahead in order", async () => {
    const services = tinyClipServices();
    const runtime = services.get(modelRuntime);
    try {
      const engine = compile(sampledEvery10Frames, { services });
      // 10 fps, 1 s cooldown: frames 1, 11, 21 pass. Eight frames read ahead, as a video pipeline does.
      const frames = Array.from({ length: 25 }, (_, i) => frame(i + 1, i + 1));
      const ahead = 8;
      frames.slice(0, ahead).forEach((image) => engine.warm({ image }));
      await runtime.warmingDone();
      expect(runtime.stats.visionImages).toBe(1); // frame 1, before any run
      const embedded: number[] = [];
      for (const [i, image] of frames.entries()) {
        if (i + ahead < frames.length) engine.warm({ image: frames[i + ahead] });
        const [result] = await engine.run({ image });
        if (result.embedding !== null) embedded.push(i + 1);
      }
      expect(embedded).toEqual([1, 11, 21]);
      // every inference was one started by the forecast (none wasted, none done in the run)
      expect(runtime.stats.visionImages).toBe(3);
      expect(runtime.stats.visionRuns).toBe(3);
      // past the frames warmed: nothing pending, the next forecast starts from the real state
      await engine.run({ image: frame(40, 40) }); // passes, computed in its run
      engine.warm({ image: frame(45, 45) });
      engine.warm({ image: frame(50, 50) });
      await runtime.warmingDone();
      expect(runtime.stats.visionImages).toBe(5); // + 40 in its run, 50 by the forecast; 45 is within the cooldown
    } finally {
      await services.close();
    }
  });

  it("replays the frames still ahead from the real state when a run does not go as forecast", async () => {
    const services = tinyClipServices();
    const runtime = services.get(modelRuntime);
    try {
      const engine = compile(sampledEvery10Frames, { services });
      const frames = Array.from({ length: 25 }, (_, i) => frame(i + 1, i + 1));
      // frame 1 is never warmed: from a fresh state the forecast thinks 2 and 12 pass
      frames.slice(1, 15).forEach((image) => engine.warm({ image }));
      await runtime.warmingDone();
      expect(runtime.stats.visionImages).toBe(2);
      await engine.run({ image: frames[0] }); // really passes: 11 is next, then 21
      frames.slice(15).forEach((image) => engine.warm({ image }));
      await runtime.warmingDone();
      expect(runtime.stats.visionImages).toBe(4); // + frame 1 in its run, + 21 (not 16) by the forecast
      const embedded: number[] = [];
      for (const [i, image] of frames.slice(1).entries()) {
        const [result] = await engine.run({ image });
        if (result.embedding !== null) embedded.push(i + 2);
      }
      expect(embedded).toEqual([11, 21]);
      expect(runtime.stats.visionImages).toBe(5); // + 11 in its run; 21 taken from the forecast
    } finally {
      await services.close();
    }
  });

  it("warms a step behind flow control only once its gate has opened two runs in a row", async () => {
    // the gate opens when the `open` parameter is 1
    const behindGate = {
      version: "1.0",
      inputs: [
        { type: "WorkflowImage", name: "image" },
        { type: "WorkflowParameter", name: "open" },
      ],
      steps: [
        {
          type: "roboflow_core/continue_if@v1",
          name: "gate",
          condition_statement: statement("open", "(Number) ==", 1),
          evaluation_parameters: { open: "$inputs.open" },
          next_steps: ["$steps.clip"],
        },
        { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
      ],
      outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
    };
    const services = tinyClipServices();
    const runtime = services.get(modelRuntime);
    /** Inferences that `warm` alone starts. */
    const warmedRuns = async (engine: ReturnType<typeof compile>, image: WorkflowImage) => {
      const before = runtime.stats.visionRuns;
      engine.warm({ image, open: 1 });
      await runtime.warmingDone();
      return runtime.stats.visionRuns - before;
    };
    try {
      const engine = compile(behindGate, { services });
      expect(await warmedRuns(engine, frame(2))).toBe(0);
      await engine.run({ image: frame(3), open: 1 });
      expect(await warmedRuns(engine, frame(4))).toBe(0);
      await engine.run({ image: frame(5), open: 1 });
      const next = frame(6);
      expect(await warmedRuns(engine, next)).toBe(1);
      // the warmed frame's run takes the embedding instead of computing it again
      const before = runtime.stats.visionRuns;
      await engine.run({ image: next, open: 1 });
      expect(runtime.stats.visionRuns).toBe(before);
      // one closed gate and the guess is off again
      await engine.run({ image: frame(7), open: 0 });
      expect(await warmedRuns(engine, frame(8))).toBe(0);
    } finally {
      await services.close();
    }
  });
});

describe("engine.prepare", () => {
  const asBase64 = async (image: WorkflowImage) => ({ type: "base64", value: await toJpegBase64(image, 95) });

  it("decodes a later run's images and starts its inference; the run takes both and gives the same outputs", async () => {
    const services = tinyClipServices();
    const runtime = services.get(modelRuntime);
    try {
      const engine = compile(plain, { services });
      const raw = { image: [await asBase64(frame(3)), await asBase64(frame(9))] };
      const prepared = await engine.prepare(raw);
      await runtime.warmingDone();
      expect(runtime.stats.visionRuns).toBe(1);
      const outputs = await engine.runSerialised(prepared);
      expect(runtime.stats.visionRuns).toBe(1); // nothing computed again
      const cold = tinyClipServices();
      try {
        expect(outputs).toEqual(await compile(plain, { services: cold }).runSerialised(raw));
      } finally {
        await cold.close();
      }
    } finally {
      await services.close();
    }
  });

  it("gives inputs it cannot prepare back as they were, for the run to report", async () => {
    const services = tinyClipServices();
    try {
      const engine = compile(plain, { services });
      const broken = { image: { type: "base64", value: "bm90IGFuIGltYWdl" } };
      expect(await engine.prepare(broken)).toBe(broken);
      await expect(engine.run(broken)).rejects.toMatchObject({ errorType: "RuntimeInputError" });
    } finally {
      await services.close();
    }
  });
});
