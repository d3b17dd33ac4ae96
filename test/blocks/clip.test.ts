/**
 * The CLIP blocks called directly (as the engine will) with a hand-built context whose services
 * hold a runtime on the generated tiny model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_STREAM, Services, type Block, type StepContext } from "../../src/block-api/index.js";
import { clipComparisonBlock } from "../../src/blocks/models/clip-comparison.js";
import { clipComparisonV2Block } from "../../src/blocks/models/clip-comparison-v2.js";
import { clipBlock } from "../../src/blocks/models/clip.js";
import { WorkflowImage } from "../../src/images/index.js";
import { ModelRuntime, modelRuntime } from "../../src/models/index.js";
import { cosineSimilarity } from "../../src/maths/vectors.js";
import { syntheticPhoto, tinyClipFolder } from "../models/helpers.js";

let runtime: ModelRuntime;
let services: Services;

beforeAll(async () => {
  const folder = await tinyClipFolder();
  runtime = new ModelRuntime({ folders: { "ViT-B-32": folder, "ViT-B-16": folder }, threads: 1 });
  services = new Services().provide(modelRuntime, runtime);
});
afterAll(() => services.close());

function context(block: Block, index: number): StepContext<unknown> {
  return {
    step: "clip",
    blockType: block.manifest.type,
    stream: DEFAULT_STREAM,
    frameNumber: null,
    index,
    state: undefined,
    shared: { namespace: () => ({}) },
    services,
    signal: new AbortController().signal,
    executionId: "test",
    now: () => 0,
  };
}

/** Parses the step's properties as written, then substitutes what the selectors resolve to. */
async function runBatch(block: Block, properties: Record<string, unknown>, resolved: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const parsed = block.manifest.properties.parse(properties);
  const inputs = resolved.map((values) => ({ ...parsed, ...values }));
  return (await block.runBatch!(
    inputs,
    inputs.map((_, i) => context(block, i)),
  )) as Record<string, unknown>[];
}

function frame(seed: number, parentId = `image.${seed}`): WorkflowImage {
  const { width, height, data } = syntheticPhoto(48 + seed, 40, seed);
  return new WorkflowImage({ width, height, data, parentId, rootParentId: `root.${seed}` });
}

function outputNames(block: Block): string[] {
  return block.manifest.outputs.map((output) => output.name).sort();
}

describe("roboflow_core/clip@v1", () => {
  it("declares upstream's fields, defaults and output", () => {
    const parsed = clipBlock.manifest.properties.parse({ data: "$inputs.image" });
    expect(parsed).toEqual({ data: "$inputs.image", version: "ViT-B-32" });
    expect(clipBlock.manifest.properties.safeParse({ data: "x", version: "ViT-H-14" }).success).toBe(false);
    expect(clipBlock.manifest.properties.safeParse({ data: "x", version: "$inputs.version" }).success).toBe(true);
    expect(clipBlock.manifest.outputs).toEqual([{ name: "embedding", kinds: ["embedding"] }]);
  });

  it("embeds images and texts of one batch with one call per tower", async () => {
    const images = [frame(1), frame(2), frame(3)];
    const before = { ...runtime.stats };
    const results = await runBatch(clipBlock, { data: "$steps.crop.crops" }, [
      { data: images[0] },
      { data: "a photo of a cat" },
      { data: images[1] },
      { data: images[2] },
    ]);
    expect(runtime.stats.visionRuns - before.visionRuns).toBe(1);
    expect(runtime.stats.textRuns - before.textRuns).toBe(1);
    expect(results.map((r) => Object.keys(r))).toEqual([["embedding"], ["embedding"], ["embedding"], ["embedding"]]);
    expect(results[0].embedding).toEqual((await runtime.embedImages([images[0]]))[0]);
    expect(results[1].embedding).toEqual((await runtime.embedTexts(["a photo of a cat"]))[0]);
    expect(results[3].embedding).toEqual((await runtime.embedImages([images[2]]))[0]);
  });

  it("embeds a literal text (a scalar step is a batch of one)", async () => {
    const [result] = await runBatch(clipBlock, { data: "a red car" }, [{}]);
    expect(result.embedding).toHaveLength(16);
  });

  it("says what it got when data is neither an image nor a string", async () => {
    await expect(runBatch(clipBlock, { data: "$inputs.x" }, [{ data: 3 }])).rejects.toThrow("data must be an image or a string, got number");
  });

  it("passes the version on to the runtime (RN50 needs a mapped folder)", async () => {
    await expect(runBatch(clipBlock, { data: "$inputs.x", version: "RN50" }, [{ data: "cat" }])).rejects.toThrow(/CLIP version RN50 has no ONNX export/);
  });
});

describe("roboflow_core/clip_comparison@v1", () => {
  it("declares its aliases, properties and outputs", () => {
    expect(clipComparisonBlock.manifest.aliases).toEqual(["ClipComparison"]);
    expect(clipComparisonBlock.manifest.propertyAliases).toEqual({ image: "images", text: "texts" });
    expect(outputNames(clipComparisonBlock)).toEqual(["parent_id", "prediction_type", "root_parent_id", "similarity"]);
    expect(clipComparisonBlock.manifest.properties.safeParse({ images: "$inputs.image", texts: ["a", "b"] }).success).toBe(true);
    expect(clipComparisonBlock.manifest.properties.safeParse({ images: "$inputs.image", texts: "$inputs.texts" }).success).toBe(true);
  });

  it("gives each image's cosine similarity to each text, with its lineage", async () => {
    const images = [frame(4), frame(5)];
    const texts = ["a cat", "a dog", "a car"];
    const before = { ...runtime.stats };
    const results = await runBatch(
      clipComparisonBlock,
      { images: "$inputs.image", texts },
      images.map((image) => ({ images: image })),
    );
    expect(runtime.stats.visionRuns - before.visionRuns).toBe(1);
    // ViT-B-16 by default (upstream's CLIP_VERSION_ID), through the same tiny folder
    const [imageEmbeddings, textEmbeddings] = await Promise.all([
      runtime.embedImages(images, { version: "ViT-B-16" }),
      runtime.embedTexts(texts, { version: "ViT-B-16" }),
    ]);
    results.forEach((result, i) => {
      expect(Object.keys(result).sort()).toEqual(outputNames(clipComparisonBlock));
      expect(result.similarity).toEqual(textEmbeddings.map((text) => cosineSimilarity(imageEmbeddings[i], text)));
      expect(result).toMatchObject({ parent_id: `image.${4 + i}`, root_parent_id: `root.${4 + i}`, prediction_type: "classification" });
    });
  });

  it("embeds each prompt once per batch, even when elements bring their own lists", async () => {
    const before = { ...runtime.stats };
    await runBatch(clipComparisonBlock, { images: "$inputs.image", texts: "$inputs.texts" }, [
      { images: frame(6), texts: ["fresh prompt one", "fresh prompt two"] },
      { images: frame(7), texts: ["fresh prompt two", "fresh prompt three"] },
    ]);
    expect(runtime.stats.textRuns - before.textRuns).toBe(1);
    expect(runtime.stats.textTexts - before.textTexts).toBe(3);
  });

  it("rejects texts that are not strings, naming the item", async () => {
    await expect(runBatch(clipComparisonBlock, { images: "$inputs.image", texts: "$inputs.texts" }, [{ images: frame(1), texts: ["a", 2] }])).rejects.toThrow(
      "texts[1] must be a string, got 2",
    );
  });
});

describe("roboflow_core/clip_comparison@v2", () => {
  it("declares upstream's properties and outputs", () => {
    expect(clipComparisonV2Block.manifest.aliases ?? []).toEqual([]);
    expect(clipComparisonV2Block.manifest.propertyAliases).toEqual({ image: "images" });
    expect(outputNames(clipComparisonV2Block)).toEqual(
      [
        "classification_predictions",
        "least_similar_class",
        "max_similarity",
        "min_similarity",
        "most_similar_class",
        "parent_id",
        "root_parent_id",
        "similarities",
      ].sort(),
    );
    expect(clipComparisonV2Block.manifest.properties.parse({ images: "$inputs.image", classes: ["a"] })).toMatchObject({ version: "ViT-B-16" });
    expect(clipComparisonV2Block.manifest.properties.safeParse({ images: "$inputs.image", classes: [] }).success).toBe(false);
  });

  it("classifies each image among the classes", async () => {
    const classes = ["a cat", "a dog", "a red car", "the night"];
    const images = [frame(8), frame(9)];
    const results = await runBatch(
      clipComparisonV2Block,
      { images: "$inputs.image", classes, version: "ViT-B-32" },
      images.map((image) => ({ images: image })),
    );
    const imageEmbeddings = await runtime.embedImages(images);
    const textEmbeddings = await runtime.embedTexts(classes);
    results.forEach((result, i) => {
      const similarities = textEmbeddings.map((text) => cosineSimilarity(imageEmbeddings[i], text));
      const max = Math.max(...similarities);
      const min = Math.min(...similarities);
      expect(Object.keys(result).sort()).toEqual(outputNames(clipComparisonV2Block));
      expect(result).toEqual({
        similarities,
        max_similarity: max,
        most_similar_class: classes[similarities.indexOf(max)],
        min_similarity: min,
        least_similar_class: classes[similarities.indexOf(min)],
        classification_predictions: {
          predictions: classes.map((name, classId) => ({ class: name, class_id: classId, confidence: similarities[classId] })),
          top: classes[similarities.indexOf(max)],
          confidence: max,
          parent_id: `image.${8 + i}`,
        },
        parent_id: `image.${8 + i}`,
        root_parent_id: `root.${8 + i}`,
      });
    });
  });

  // which of two equal similarities wins is argmax's tie rule, tested in test/models/maths.test.ts
  it("gives identical class texts the same similarity, and names the top and bottom class from the scores", async () => {
    const [result] = await runBatch(clipComparisonV2Block, { images: "$inputs.image", classes: ["twin", "twin", "other"], version: "ViT-B-32" }, [
      { images: frame(10) },
    ]);
    const predictions = (result.classification_predictions as { predictions: { class_id: number; confidence: number }[] }).predictions;
    expect(predictions[0].confidence).toBe(predictions[1].confidence);
    const firstIsTop = predictions[0].confidence >= predictions[2].confidence;
    expect(result.most_similar_class).toBe(firstIsTop ? "twin" : "other");
    expect(result.least_similar_class).toBe(firstIsTop ? "other" : "twin");
  });

  it("refuses an empty class list that arrives through a selector", async () => {
    await expect(runBatch(clipComparisonV2Block, { images: "$inputs.image", classes: "$inputs.classes" }, [{ images: frame(1), classes: [] }])).rejects.toThrow(
      "classes must hold at least 1 item",
    );
  });
});
