/** The CLIP runtime on the tiny model the project generates (no network, no files from elsewhere). */
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Services } from "../../src/block-api/index.js";
import { ModelRuntime, modelRuntime, ModelError, type RgbPixels } from "../../src/models/index.js";
import { optionsFrom, parseModelFolders, resolveModelOptions } from "../../src/models/options.js";
import { cosineSimilarity } from "../../src/maths/vectors.js";
import { SessionHost, type TensorData } from "../../src/models/onnx/session-host.js";
import { createTinyClipModel, TINY_CLIP } from "../../src/models/testing/tiny-clip.js";
import { syntheticPhoto, temporaryDir, tinyClipFolder } from "./helpers.js";

let folder: string;
const runtimes: ModelRuntime[] = [];

function runtime(options: ConstructorParameters<typeof ModelRuntime>[0] = {}): ModelRuntime {
  const created = new ModelRuntime({ folders: { "ViT-B-32": folder }, threads: 1, ...options });
  runtimes.push(created);
  return created;
}

beforeAll(async () => {
  folder = await tinyClipFolder();
});
afterAll(() => Promise.all(runtimes.map((r) => r.close())));

const images: RgbPixels[] = [syntheticPhoto(64, 48, 1), syntheticPhoto(40, 90, 2), syntheticPhoto(36, 36, 3), syntheticPhoto(200, 100, 4)];

function expectClose(actual: number[][], expected: number[][], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((value, j) => expect(Math.abs(value - expected[i][j])).toBeLessThan(tolerance)));
}

describe("embeddings", () => {
  it("gives one raw projection per image and per text", async () => {
    const clip = runtime();
    const imageEmbeddings = await clip.embedImages(images);
    const textEmbeddings = await clip.embedTexts(["a photo of a cat", "a dog"]);
    expect(imageEmbeddings.map((e) => e.length)).toEqual([16, 16, 16, 16]);
    expect(textEmbeddings.map((e) => e.length)).toEqual([16, 16]);
    // raw, not normalised: the norm is whatever the projection gives
    expect(Math.abs(Math.hypot(...imageEmbeddings[0]) - 1)).toBeGreaterThan(1e-3);
    expect(cosineSimilarity(imageEmbeddings[0], imageEmbeddings[1])).toBeLessThan(0.999);
    expect(cosineSimilarity(textEmbeddings[0], textEmbeddings[1])).toBeLessThan(0.999);
  });

  it("gives the same embeddings in a batch as one by one", async () => {
    const clip = runtime();
    const batched = await clip.embedImages(images);
    const single = [];
    for (const image of images) single.push((await clip.embedImages([image]))[0]);
    expectClose(batched, single, 1e-5);
    const texts = ["a photo of a cat", "the dog", "a red car at night on an empty street"];
    const textBatch = await runtime().embedTexts(texts);
    const textSingle = [];
    for (const text of texts) textSingle.push((await runtime().embedTexts([text]))[0]);
    expectClose(textBatch, textSingle, 1e-5);
  });

  it("runs the vision model once for a batch, in chunks of maxBatchSize", async () => {
    const eight = Array.from({ length: 8 }, (_, i) => syntheticPhoto(50, 40, i));
    const clip = runtime();
    await clip.embedImages(eight);
    expect([clip.stats.visionRuns, clip.stats.visionImages]).toEqual([1, 8]);
    const chunked = runtime({ maxBatchSize: 3 });
    expectClose(await chunked.embedImages(eight), await clip.embedImages(eight), 1e-5);
    expect(chunked.stats.visionRuns).toBe(3);
  });

  it("coalesces concurrent requests into fewer inferences", async () => {
    const clip = runtime();
    const results = await Promise.all([0, 1, 2].map((i) => clip.embedImages([images[i], images[i + 1]])));
    expect(clip.stats.visionRuns).toBeLessThan(3);
    expectClose(results[1], await clip.embedImages([images[1], images[2]]), 1e-5);
  });

  it("embeds each text once and then serves it from the cache", async () => {
    const clip = runtime();
    const first = await clip.embedTexts(["a cat", "a dog", "a cat"]);
    expect(first[0]).toEqual(first[2]);
    expect([clip.stats.textRuns, clip.stats.textTexts, clip.stats.textCacheMisses]).toEqual([1, 2, 2]);
    const again = await clip.embedTexts(["a dog"]);
    expect(again[0]).toEqual(first[1]);
    expect([clip.stats.textRuns, clip.stats.textCacheHits]).toEqual([1, 1]);
    again[0][0] = 42; // the caller's copy, not the cache's
    expect((await clip.embedTexts(["a dog"]))[0]).toEqual(first[1]);
  });

  it("keys the text cache by model and precision", async () => {
    const clip = runtime();
    const fp32 = await clip.embedTexts(["a cat"]);
    const int8 = await clip.embedTexts(["a cat"], { dtype: "int8" });
    expect(clip.stats.textRuns).toBe(2);
    expect(int8[0]).not.toEqual(fp32[0]);
  });

  it("evicts the least recently used texts beyond textCacheSize", async () => {
    const clip = runtime({ textCacheSize: 2 });
    await clip.embedTexts(["one"]);
    await clip.embedTexts(["two"]);
    await clip.embedTexts(["one"]); // hit, now most recent
    await clip.embedTexts(["three"]); // evicts "two"
    await clip.embedTexts(["one"]);
    await clip.embedTexts(["two"]);
    expect([clip.stats.textCacheHits, clip.stats.textCacheMisses]).toEqual([2, 4]);
  });

  it("returns nothing for nothing, without loading a model", async () => {
    const clip = runtime({ folders: { "ViT-B-32": "/does/not/exist" } });
    expect(await clip.embedImages([])).toEqual([]);
    expect(await clip.embedTexts([])).toEqual([]);
  });
});

const LARGE_BATCH = 2048;

/**
 * A tiny-CLIP vision inference on LARGE_BATCH images in a one-worker host: long enough to watch
 * the event loop turn while it runs. `settled` says whether it has finished.
 */
async function largeInference(host: SessionHost): Promise<{ inference: Promise<Record<string, TensorData>>; settled: () => boolean }> {
  const session = await host.session(join(folder, "onnx", "vision_model.onnx"));
  const size = TINY_CLIP.imageSize;
  const pixels = new Float32Array(LARGE_BATCH * 3 * size * size).map((_, i) => Math.sin(i));
  let done = false;
  const inference = session
    .run({ pixel_values: { type: "float32", data: pixels, dims: [LARGE_BATCH, 3, size, size] } }, ["image_embeds"])
    .finally(() => (done = true));
  inference.catch(() => undefined); // awaited by the tests
  return { inference, settled: () => done };
}

/** Turns of the event loop (at most `limit`) before `settled()`. */
async function turnsWhile(limit: number, settled: () => boolean): Promise<number> {
  let turns = 0;
  while (turns < limit && !settled()) {
    await nextMacrotask();
    turns++;
  }
  return turns;
}

describe("inference off the event loop", () => {
  it("lets the event loop turn while a large batch runs", async () => {
    const host = new SessionHost({ workers: 1, threadsPerWorker: 1, executionProvider: "cpu" });
    try {
      const { inference, settled } = await largeInference(host);
      // Fifty turns of the event loop. If run() blocked this thread (onnxruntime-node's own
      // session.run does), the inference would settle before the turns could happen.
      expect(await turnsWhile(50, settled)).toBe(50);
      expect((await inference).image_embeds.dims).toEqual([LARGE_BATCH, TINY_CLIP.projectionDim]);
    } finally {
      await host.close();
    }
  });
});

describe("closing while an inference runs", () => {
  it("refuses the pending run at once and ends the worker only after its inference returns", async () => {
    const host = new SessionHost({ workers: 1, threadsPerWorker: 1, executionProvider: "cpu" });
    const { inference, settled } = await largeInference(host);
    await turnsWhile(20, settled); // the worker is inside ONNX Runtime now
    // A worker terminated there would abort this whole process (onnxruntime-node throws from
    // native code while the thread is torn down), failing the run, not just this test.
    await host.close();
    await expect(inference).rejects.toThrow("closed while inference was pending");
  });
});

describe("several inference workers", () => {
  it("splits a batch between the workers and runs them side by side, with the embeddings one worker gives", async () => {
    const eight = [...images, ...images.map((image, i) => syntheticPhoto(image.width, image.height, 10 + i))];
    const one = runtime({ inferenceWorkers: 1 });
    const two = runtime({ threads: 2, inferenceWorkers: 2 });
    const [alone, shared] = await Promise.all([one.embedImages(eight), two.embedImages(eight)]);
    expectClose(shared, alone, 1e-5);
    expect([one.stats.visionRuns, two.stats.visionRuns]).toEqual([1, 2]);
    expect(two.stats.visionImages).toBe(8);
  });

  it("sends a run to an idle worker while another worker is busy", async () => {
    const host = new SessionHost({ workers: 2, threadsPerWorker: 1, executionProvider: "cpu" });
    try {
      const session = await host.session(join(folder, "onnx", "vision_model.onnx"));
      const first = host.leastBusy();
      const n = 256;
      const pixels = new Float32Array(n * 3 * TINY_CLIP.imageSize * TINY_CLIP.imageSize);
      const running = session.run({ pixel_values: { type: "float32", data: pixels, dims: [n, 3, TINY_CLIP.imageSize, TINY_CLIP.imageSize] } }, [
        "image_embeds",
      ]);
      expect(first.load).toBe(1);
      expect(host.leastBusy()).not.toBe(first);
      expect(host.leastBusy().load).toBe(0);
      await running;
      expect(first.load).toBe(0);
    } finally {
      await host.close();
    }
  });
});

describe("models and precisions", () => {
  it("loads the int8 graph for dtype int8: close to fp32, not equal", async () => {
    const clip = runtime();
    const [fp32, int8] = await Promise.all([clip.embedImages(images), clip.embedImages(images, { dtype: "int8" })]);
    fp32.forEach((embedding, i) => {
      expect(cosineSimilarity(embedding, int8[i])).toBeGreaterThan(0.99);
      expect(embedding).not.toEqual(int8[i]);
    });
  });

  it("feeds and reads float16 tensors for an fp16 graph", async () => {
    const clip = runtime();
    const [fp32, fp16] = await Promise.all([clip.embedImages(images), clip.embedImages(images, { dtype: "fp16" })]);
    const [text32, text16] = await Promise.all([clip.embedTexts(["a cat"]), clip.embedTexts(["a cat"], { dtype: "fp16" })]);
    [...fp32, ...text32].forEach((embedding, i) => {
      const half = [...fp16, ...text16][i];
      expect(half).not.toEqual(embedding); // rounded through float16 on the way in and out
      embedding.forEach((value, j) => expect(Math.abs(value - half[j])).toBeLessThan(2e-2));
    });
  });

  it("names the missing file and what the folder has for a precision it lacks", async () => {
    await expect(runtime().embedImages(images, { dtype: "uint8" })).rejects.toThrow(
      `has no onnx/vision_model_uint8.onnx for --dtype uint8; its onnx folder has vision_model.onnx (fp32), vision_model_fp16.onnx (fp16), vision_model_int8.onnx (int8)`,
    );
    await expect(runtime().embedTexts(["x"], { dtype: "q8" })).rejects.toThrow(/no onnx\/text_model_quantized\.onnx for --dtype q8/);
  });

  it("refuses RN50 unless a folder is mapped to it, naming the supported versions", async () => {
    expect(() => runtime().model({ version: "RN50" })).toThrow(
      /CLIP version RN50 has no ONNX export sightline can download; the versions it downloads are ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-336px/,
    );
    expect(() => runtime().model({ version: "ViT-H-14" })).toThrow(/unknown CLIP version "ViT-H-14"/);
    expect(() => runtime().model({ version: 5 as unknown as string })).toThrow("a CLIP version must be a string, got 5");
    expect(() => runtime().model({ dtype: "int4" as "int8" })).toThrow('unknown precision "int4": use one of fp32, fp16, int8, uint8, q8');
    const mapped = runtime({ folders: { RN50: folder } });
    expect((await mapped.embedTexts(["a cat"], { version: "RN50" }))[0]).toHaveLength(16);
  });

  it("takes a bare folder path as the version, sharing the model with its mapped name", async () => {
    const clip = runtime();
    const byPath = await clip.embedImages([images[0]], { version: folder });
    const byName = await clip.embedImages([images[0]], { version: "ViT-B-32" });
    expect(byPath).toEqual(byName);
    expect(clip.model({ version: folder })).toBe(clip.model({ version: "ViT-B-32" }));
  });

  it("says which file a model folder lacks", async () => {
    const broken = await temporaryDir("broken-clip");
    await cp(folder, broken, { recursive: true });
    await rm(join(broken, "tokenizer.json"));
    await expect(runtime().embedTexts(["x"], { version: broken })).rejects.toThrow(`model folder ${broken} has no tokenizer.json`);
    await expect(runtime().embedImages(images, { version: join(broken, "nope") })).rejects.toThrow(/the folder does not exist/);
    // the vision tower does not need the tokenizer
    expect(await runtime().embedImages([images[0]], { version: broken })).toHaveLength(1);
  });

  it("generates tiny models of other embedding lengths", async () => {
    const wide = await createTinyClipModel(await temporaryDir("tiny-clip-24"), { projectionDim: 24 });
    const clip = runtime({ folders: { RN50x4: wide } });
    expect((await clip.embedTexts(["a cat"], { version: "RN50x4" }))[0]).toHaveLength(24);
    expect((await clip.embedImages([images[0]], { version: "RN50x4", dtype: "int8" }))[0]).toHaveLength(24);
  });

  it("reports an image with inconsistent pixel data by its index", async () => {
    await expect(runtime().embedImages([images[0], { width: 10, height: 10, data: new Uint8Array(5) }])).rejects.toThrow(/image 1: expected an RGB image/);
  });

  it("rejects work after close", async () => {
    const clip = new ModelRuntime({ folders: { "ViT-B-32": folder }, threads: 1 });
    await clip.embedTexts(["a"]);
    await clip.close();
    await expect(clip.embedTexts(["b"])).rejects.toThrow(/closed/);
  });
});

describe("options", () => {
  it("reads the environment, with library options taking precedence", () => {
    const env = {
      SIGHTLINE_MODELS: "ViT-B-32=/models/a, RN50=/models/rn50",
      SIGHTLINE_CACHE_DIR: "/cache",
      HF_ENDPOINT: "https://mirror.example/",
      SIGHTLINE_OFFLINE: "1",
      SIGHTLINE_THREADS: "3",
      SIGHTLINE_EXECUTION_PROVIDER: "CUDA",
    };
    const options = resolveModelOptions({ folders: { "ViT-B-32": "/models/b" } }, env);
    expect(options).toMatchObject({
      folders: { "ViT-B-32": "/models/b", RN50: "/models/rn50" },
      cacheDir: "/cache",
      mirror: "https://mirror.example",
      offline: true,
      threads: 3,
      executionProvider: "cuda",
      inferenceWorkers: 1, // one GPU: inferences queue for it
    });
    expect(resolveModelOptions({ threads: 4 }, {}).inferenceWorkers).toBe(1); // latency first
    expect(resolveModelOptions({ threads: 4, workload: "throughput" }, {}).inferenceWorkers).toBe(2);
    expect(resolveModelOptions({ threads: 1, workload: "throughput" }, {}).inferenceWorkers).toBe(1);
    expect(resolveModelOptions({ workload: "throughput", executionProvider: "cuda" }, {}).inferenceWorkers).toBe(1);
    expect(resolveModelOptions({}, { SIGHTLINE_INFERENCE_WORKERS: "3" }).inferenceWorkers).toBe(3);
    expect(resolveModelOptions({}, { SIGHTLINE_HF_MIRROR: "http://a", HF_ENDPOINT: "http://b", SIGHTLINE_OFFLINE: "0" })).toMatchObject({
      mirror: "http://a",
      offline: false,
    });
  });

  it("names the variable holding a bad value", () => {
    expect(() => resolveModelOptions({}, { SIGHTLINE_THREADS: "many" })).toThrow('SIGHTLINE_THREADS must be a positive integer, got "many"');
    expect(() => resolveModelOptions({}, { SIGHTLINE_INFERENCE_WORKERS: "0" })).toThrow('SIGHTLINE_INFERENCE_WORKERS must be a positive integer, got "0"');
    expect(() => resolveModelOptions({}, { SIGHTLINE_EXECUTION_PROVIDER: "tpu" })).toThrow(/SIGHTLINE_EXECUTION_PROVIDER must be one of cpu, cuda/);
    expect(() => parseModelFolders("ViT-B-32", "SIGHTLINE_MODELS")).toThrow('SIGHTLINE_MODELS: "ViT-B-32" is not of the form <version>=<folder>');
  });

  it("configures the engine service from settings.models, rejecting unknown keys", async () => {
    const services = new Services({ models: { folders: { "ViT-B-32": folder }, threads: 1, textCacheSize: 7 } });
    try {
      const clip = services.get(modelRuntime);
      expect(clip.options).toMatchObject({ threads: 1, textCacheSize: 7 });
      expect(services.get(modelRuntime)).toBe(clip);
      expect((await clip.embedTexts(["a cat"]))[0]).toHaveLength(16);
    } finally {
      await services.close();
    }
    expect(() => optionsFrom({ models: { thread: 2 } })).toThrow('settings.models: Unrecognized key: "thread"');
    expect(() => optionsFrom({ models: { dtype: "int4" } })).toThrow(/settings\.models\.dtype: /);
    expect(optionsFrom({})).toEqual({});
  });

  it("is a ModelError the engine can wrap", () => {
    expect(() => runtime().model({ version: "RN101" })).toThrow(ModelError);
  });
});
