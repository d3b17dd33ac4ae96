/** Warming: inference started ahead of need is taken by the run, not done twice, and changes nothing. */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, Services, WorkflowImage } from "../../src/index.js";
import { clipRuntime, ClipRuntime, createTinyClipModel } from "../../src/models/index.js";
import { tempDir } from "../helpers/cli.js";

let model: string;

function frame(shade: number): WorkflowImage {
  const data = new Uint8Array(64 * 48 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * shade) % 256;
  return new WorkflowImage({ width: 64, height: 48, data, parentId: `frame-${shade}` });
}

beforeAll(async () => {
  model = await createTinyClipModel(join(tempDir(), "tiny-clip"));
});

describe("ClipRuntime.warmImages", () => {
  it("starts the inference once; embedImages takes its result, equal to a cold embedding", async () => {
    const warm = new ClipRuntime({ folders: { "ViT-B-32": model } });
    const cold = new ClipRuntime({ folders: { "ViT-B-32": model } });
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

describe("engine.warm", () => {
  const plain = {
    version: "1.0",
    inputs: [{ type: "WorkflowImage", name: "image" }],
    steps: [{ type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" }],
    outputs: [{ type: "JsonField", name: "embedding", selector: "$steps.clip.embedding" }],
  };
  const gated = {
    ...plain,
    steps: [
      { type: "roboflow_core/rate_limiter@v1", name: "sample", depends_on: "$inputs.image", next_steps: ["$steps.clip"] },
      { type: "roboflow_core/clip@v1", name: "clip", data: "$inputs.image" },
    ],
  };

  it("embeds the next frames ahead for ungated steps fed by inputs, and the run uses them", async () => {
    const services = new Services({ models: { folders: { "ViT-B-32": model } } });
    try {
      const engine = compile(plain, { services });
      const next = [frame(5), frame(11)];
      engine.warm({ image: next });
      const runtime = services.get(clipRuntime);
      const [first, second] = await engine.run({ image: next });
      expect(runtime.stats.visionRuns).toBe(1);
      const cold = new Services({ models: { folders: { "ViT-B-32": model } } });
      expect(first.embedding).toEqual((await compile(plain, { services: cold }).run({ image: frame(5) }))[0].embedding);
      await cold.close();
      expect(second.embedding).not.toEqual(first.embedding);
    } finally {
      await services.close();
    }
  });

  it("leaves steps behind flow control alone (they may not run)", async () => {
    const services = new Services({ models: { folders: { "ViT-B-32": model } } });
    try {
      compile(gated, { services }).warm({ image: frame(5) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(services.get(clipRuntime).stats.visionRuns).toBe(0);
    } finally {
      await services.close();
    }
  });
});
