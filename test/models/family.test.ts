/**
 * The model-family seam: a family declared in a test folder (`toy-family/`), registered with one
 * line as the built-in ones are, loads, preprocesses and embeds through the generic runtime —
 * from a mapped folder, from a folder its config.json names, and from the cache.
 */
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clipFamily, listCachedModels, MODEL_FAMILIES, ModelRuntime, type ModelOptions, type RgbPixels } from "../../src/models/index.js";
import { optionsFrom, resolveModelOptions } from "../../src/models/options.js";
import { encodeModel, TensorType } from "../../src/models/testing/onnx-writer.js";
import { temporaryDir } from "./helpers.js";
import { toyFamily } from "./toy-family/index.js";

const FAMILIES = [...MODEL_FAMILIES, toyFamily];
const SIZE = 16;

/**
 * A toy model folder: config.json naming the toy family, a preprocessor_config.json that leaves
 * everything to the family's defaults, and `onnx/model.onnx` giving each image's per-channel mean
 * (`images [N,3,16,16]` → `features [N,3]`), so an embedding can be computed by hand.
 */
async function createToyModel(dir: string): Promise<string> {
  await mkdir(join(dir, "onnx"), { recursive: true });
  const graph = encodeModel({
    name: "toy",
    nodes: [
      { op: "GlobalAveragePool", inputs: ["images"], outputs: ["pooled"] },
      { op: "Flatten", inputs: ["pooled"], outputs: ["features"], attributes: { axis: { kind: "int", value: 1 } } },
    ],
    initializers: [],
    inputs: [{ name: "images", type: TensorType.FLOAT, shape: ["batch_size", 3, SIZE, SIZE] }],
    outputs: [{ name: "features", type: TensorType.FLOAT, shape: ["batch_size", 3] }],
  });
  await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "toy" }));
  await writeFile(join(dir, "preprocessor_config.json"), JSON.stringify({ image_processor_type: "ToyImageProcessor" }));
  await writeFile(join(dir, "onnx", "model.onnx"), graph);
  return dir;
}

/** A uniform image: every pixel `rgb`. */
function uniform(width: number, height: number, rgb: readonly [number, number, number]): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3];
  return { width, height, data };
}

/** What the toy gives a uniform image: each channel rescaled and normalised with mean and std 0.5. */
function expectedFeatures(rgb: readonly [number, number, number]): number[] {
  const f = Math.fround;
  return rgb.map((value) => f(f(f(value / 255) - 0.5) / 0.5));
}

let folder: string;
const runtimes: ModelRuntime[] = [];

function runtime(options: ModelOptions = {}): ModelRuntime {
  const created = new ModelRuntime({ families: FAMILIES, threads: 1, ...options });
  runtimes.push(created);
  return created;
}

beforeAll(async () => {
  folder = await createToyModel(await temporaryDir("toy-model"));
});
afterAll(() => Promise.all(runtimes.map((r) => r.close())));

function expectEmbeddings(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((value, j) => expect(value).toBeCloseTo(expected[i][j], 6)));
}

describe("a family registered with one line", () => {
  it("embeds images through its own graph, tensors and preprocessing", async () => {
    const toy = runtime({ folders: { "toy-v1": folder } });
    const embeddings = await toy.embedImages([uniform(40, 30, [255, 0, 128]), uniform(7, 9, [10, 200, 60])], { family: "toy" });
    expectEmbeddings(embeddings, [expectedFeatures([255, 0, 128]), expectedFeatures([10, 200, 60])]);
    expect(toy.stats).toMatchObject({ visionRuns: 1, visionImages: 2 });
  });

  it("finds the family from its version, and from the model_type of a folder's config.json", async () => {
    const toy = runtime({ folders: { "toy-v1": folder } });
    expect(toy.model({ version: "toy-v1" }).family).toBe(toyFamily);
    expect(toy.model({ version: folder }).family).toBe(toyFamily);
    expect(toy.model({ version: folder })).toBe(toy.model({ family: "toy" }));
    expect(toy.model().family).toBe(clipFamily); // the first family stays the default
    const [embedding] = await toy.embedImages([uniform(16, 16, [0, 255, 51])], { version: folder });
    expectEmbeddings([embedding], [expectedFeatures([0, 255, 51])]);
  });

  it("refuses texts with an error naming what the family embeds", async () => {
    const toy = runtime({ folders: { "toy-v1": folder } });
    await expect(toy.embedTexts(["a cat"], { family: "toy" })).rejects.toThrow("Toy toy-v1 (folder");
    await expect(toy.embedTexts(["a cat"], { family: "toy" })).rejects.toThrow("cannot embed texts: Toy models embed images only");
    expect(await toy.embedTexts([], { family: "toy" })).toEqual([]);
    expect(toy.stats.textRuns).toBe(0);
  });

  it("speaks of the family in its messages", async () => {
    const toy = runtime();
    expect(() => toy.model({ family: "toy", version: "toy-v0" })).toThrow(/^Toy version toy-v0 has no ONNX export sightline can download/);
    expect(() => toy.model({ family: "toy", version: "toy-v9" })).toThrow(/^unknown Toy version "toy-v9": use one of toy-v1/);
    expect(() => toy.model({ family: "dino" })).toThrow('unknown model family "dino": the families are clip, toy');
    await expect(toy.embedImages([uniform(4, 4, [1, 2, 3])], { family: "toy", version: join(folder, "nope") })).rejects.toThrow(/the folder does not exist/);
  });

  it("lists and loads its repository from the cache, offline", async () => {
    const cacheDir = await temporaryDir("toy-cache");
    await cp(folder, join(cacheDir, "sightline-test", "toy-v1"), { recursive: true });
    const [cached] = await listCachedModels({ cacheDir, families: FAMILIES });
    expect(cached).toMatchObject({ repo: "sightline-test/toy-v1", family: "toy", version: "toy-v1", dtypes: { backbone: ["fp32"] } });
    const toy = runtime({ cacheDir, offline: true });
    const [embedding] = await toy.embedImages([uniform(20, 20, [90, 90, 90])], { version: "toy-v1" });
    expectEmbeddings([embedding], [expectedFeatures([90, 90, 90])]);
    await expect(toy.embedImages([uniform(20, 20, [90, 90, 90])], { version: "toy-v1", dtype: "int8" })).rejects.toThrow(
      /onnx\/model_int8\.onnx of Toy toy-v1 \(sightline-test\/toy-v1\) is not in the cache/,
    );
  });
});

describe("the registry", () => {
  it("refuses two families claiming one id, version or option, and a family without a tower", () => {
    expect(() => resolveModelOptions({ families: [clipFamily, clipFamily] })).toThrow('model families clip and clip both declare the id "clip"');
    const impostor = { ...toyFamily, id: "impostor", versions: { ...toyFamily.versions, folderOnly: ["ViT-B-32"] } };
    expect(() => resolveModelOptions({ families: [clipFamily, impostor] })).toThrow('model families clip and impostor both declare the version "ViT-B-32"');
    const rival = { ...toyFamily, options: { comparisonVersion: clipFamily.options!.comparisonVersion } };
    expect(() => resolveModelOptions({ families: [clipFamily, rival] })).toThrow('model families clip and toy both declare the option "comparisonVersion"');
    expect(() => resolveModelOptions({ families: [] })).toThrow("at least one model family");
    expect(() => resolveModelOptions({ families: [{ ...toyFamily, towers: {} }] })).toThrow("model family toy declares no tower");
  });

  it("resolves a family's own options: given, else its environment variable, else its default", () => {
    expect(resolveModelOptions({}, {}).comparisonVersion).toBe("ViT-B-16");
    expect(resolveModelOptions({}, { CLIP_VERSION_ID: "ViT-L-14" }).comparisonVersion).toBe("ViT-L-14");
    expect(resolveModelOptions({ comparisonVersion: "ViT-B-32" }, { CLIP_VERSION_ID: "ViT-L-14" }).comparisonVersion).toBe("ViT-B-32");
    expect(() => resolveModelOptions({ comparisonVersion: 5 as unknown as string }, {})).toThrow(/^comparisonVersion: /);
    expect(optionsFrom({ models: { comparisonVersion: "ViT-B-32" } })).toEqual({ comparisonVersion: "ViT-B-32" });
  });
});
