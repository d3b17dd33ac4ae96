/**
 * Compat INDEX rows 1–6 through the CLI with `--model`, against `test/fixtures/tiny-clip`
 * (a genuine Hugging Face CLIP export with random weights): keys, shapes, ordering and errors —
 * not similarity values, which need real weights. RN50x4 is mapped to a model of another
 * embedding length (generated here) for row 3's different-length error.
 */
import { join, resolve } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { createTinyClipModel } from "../../src/models/index.js";
import { runCli, tempDir, writeTemp } from "../helpers/cli.js";

const HF_TINY_CLIP = resolve(import.meta.dirname, "../fixtures/tiny-clip");
const EXAMPLES = resolve(import.meta.dirname, "../fixtures/roboflow-examples");
const example = (name: string) => join(EXAMPLES, `test_workflow_with_clip__${name}.json`);

const EMBEDDING_LENGTH = 32; // tiny-clip's projection size

let models: string[];
let plate: string;
let crowd: string;

beforeAll(async () => {
  const dir = tempDir();
  const other = await createTinyClipModel(join(dir, "other-length"), { projectionDim: 16 });
  models = ["RN50", "ViT-B-16", "ViT-B-32"].flatMap((version) => ["--model", `${version}=${HF_TINY_CLIP}`]).concat(["--model", `RN50x4=${other}`]);
  plate = join(dir, "license_plate.jpg");
  crowd = join(dir, "crowd.jpg");
  await sharp({ create: { width: 1920, height: 1280, channels: 3, background: { r: 200, g: 190, b: 40 } } })
    .jpeg()
    .toFile(plate);
  await sharp({ create: { width: 640, height: 425, channels: 3, background: { r: 30, g: 60, b: 160 } } })
    .jpeg()
    .toFile(crowd);
});

type Outputs = Record<string, unknown>[];

async function run(name: string, inputs: Record<string, unknown>) {
  const result = await runCli(["run", example(name), "--inputs", writeTemp("inputs.json", inputs), ...models]);
  return { ...result, outputs: (result.lines[0] as { outputs?: Outputs }).outputs, error: (result.lines[0] as { error?: Record<string, string> }).error };
}

describe("CLIP workflows (compat rows 1–6) on a genuine tiny CLIP export", () => {
  it("row 1: two images, cosine similarity of their embeddings", async () => {
    const { outputs, code } = await run("CLIP_WORKFLOW", { image_1: plate, image_2: crowd });
    expect(code).toBe(0);
    expect(outputs).toHaveLength(1);
    expect(Object.keys(outputs![0]).sort()).toEqual(["image_embeddings", "similarity"]);
    expect(outputs![0].image_embeddings).toHaveLength(EMBEDDING_LENGTH);
    expect(Math.abs(outputs![0].similarity as number)).toBeLessThanOrEqual(1);
  });

  it("row 2: an image batch against one text parameter, one similarity per image", async () => {
    const { outputs } = await run("CLIP_WORKFLOW_COSINE_SIMILARITY_CROSS_DATA_TYPE", { image_1: [plate, crowd], reference: "people" });
    expect(outputs).toHaveLength(2);
    for (const output of outputs!) {
      expect(Object.keys(output).sort()).toEqual(["image_embeddings", "similarity"]);
      expect(output.image_embeddings).toHaveLength(EMBEDDING_LENGTH);
      expect(typeof output.similarity).toBe("number");
    }
    expect(outputs![0].similarity).not.toBe(outputs![1].similarity);
  });

  it("row 3: embeddings of different lengths fail with StepExecutionError naming the block", async () => {
    const { error, code } = await run("CLIP_WORKFLOW_COSINE_SIMILARITY_CROSS_DATA_TYPE_WITH_INVALID_LENGTH_OF_EMBEDDINGS", {
      image_1: [plate, crowd],
      reference: "people",
    });
    expect(code).toBe(1);
    expect(error?.error_type).toBe("StepExecutionError");
    expect(error?.message).toContain("roboflow_core/cosine_similarity@v1 block feed with different shape of embeddings");
  });

  it("row 4: a text parameter gives one text embedding", async () => {
    const { outputs } = await run("CLIP_TEXT_WORKFLOW", { prompt: "Foo Bar" });
    expect(outputs).toHaveLength(1);
    expect(Object.keys(outputs![0])).toEqual(["text_embeddings"]);
    expect(outputs![0].text_embeddings).toHaveLength(EMBEDDING_LENGTH);
  });

  it("row 5: ClipComparison gives one similarity per text, in order, per image", async () => {
    const { outputs } = await run("CLIP_COMPARISON_WORKFLOW", { image: [plate, crowd], reference: ["car", "crowd"] });
    expect(outputs).toHaveLength(2);
    for (const output of outputs!) {
      expect(Object.keys(output)).toEqual(["similarity"]);
      expect(output.similarity).toHaveLength(2);
    }
  });

  it("row 6: clip_comparison@v2 with all outputs, and the top class extracted", async () => {
    const { outputs } = await run("WORKFLOW_WITH_CLIP_COMPARISON_V2", { image: [plate, crowd], reference: ["car", "crowd"] });
    expect(outputs).toHaveLength(2);
    for (const output of outputs!) {
      expect(Object.keys(output).sort()).toEqual(["class_name", "clip_output"]);
      const clip = output.clip_output as Record<string, unknown>;
      expect(Object.keys(clip).sort()).toEqual(
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
      const similarities = clip.similarities as number[];
      expect(similarities).toHaveLength(2);
      expect(clip.max_similarity).toBe(Math.max(...similarities));
      expect(clip.min_similarity).toBe(Math.min(...similarities));
      const top = similarities[0] >= similarities[1] ? "car" : "crowd";
      expect(clip.most_similar_class).toBe(top);
      expect(clip.least_similar_class).toBe(top === "car" ? "crowd" : "car");
      const predictions = clip.classification_predictions as { top: string; predictions: { class: string; class_id: number }[] };
      expect(predictions.top).toBe(top);
      expect(predictions.predictions.map((p) => [p.class, p.class_id])).toEqual([
        ["car", 0],
        ["crowd", 1],
      ]);
      expect(output.class_name).toBe(top);
    }
  });

  it("row 6 extras: an empty class list and an invalid version are RuntimeInputError", async () => {
    expect((await run("WORKFLOW_WITH_CLIP_COMPARISON_V2", { image: [plate], reference: [] })).error?.error_type).toBe("RuntimeInputError");
    expect((await run("WORKFLOW_WITH_CLIP_COMPARISON_V2", { image: [plate], reference: ["car"], version: "invalid" })).error?.error_type).toBe(
      "RuntimeInputError",
    );
  });
});

describe("sightline run --inputs with images, the next line read ahead", () => {
  it("answers every line in order, a broken image on its own line, the others as when run alone", async () => {
    const lines = [
      { image_1: [crowd, plate], reference: "people" },
      { image_1: "no-such-image.jpg", reference: "people" },
      { image_1: plate, reference: "cars" },
    ];
    const result = await runCli(["run", example("CLIP_WORKFLOW_COSINE_SIMILARITY_CROSS_DATA_TYPE"), "--inputs", writeTemp("in.jsonl", lines), ...models]);
    expect(result.code).toBe(1);
    const answers = result.lines as { outputs?: Outputs; error?: Record<string, string> }[];
    expect(answers).toHaveLength(3);
    expect(answers[0].outputs).toHaveLength(2);
    expect(answers[1].error?.error_type).toBe("RuntimeInputError");
    expect(result.stderr).toContain("line 2: RuntimeInputError");
    const alone = await run("CLIP_WORKFLOW_COSINE_SIMILARITY_CROSS_DATA_TYPE", lines[2]);
    expect(answers[2].outputs).toEqual(alone.outputs);
    expect(answers[0].outputs![1]).toEqual((await run("CLIP_WORKFLOW_COSINE_SIMILARITY_CROSS_DATA_TYPE", { image_1: plate, reference: "people" })).outputs![0]);
  });
});

describe("sightline embed", () => {
  it("prints one line per item in the order given, through --model <folder>", async () => {
    const result = await runCli(["embed", "--model", HF_TINY_CLIP, "--text", "a dog", "--image", crowd, "--text", "a cat"]);
    expect(result.code).toBe(0);
    const lines = result.lines as { type: string; input: string; embedding: number[] }[];
    expect(lines.map((l) => [l.type, l.input])).toEqual([
      ["text", "a dog"],
      ["image", crowd],
      ["text", "a cat"],
    ]);
    for (const line of lines) expect(line.embedding).toHaveLength(EMBEDDING_LENGTH);
  });

  it("keeps the order across batches when more images are given than one batch takes", async () => {
    const images = [crowd, plate, crowd, plate, crowd];
    const result = await runCli(["embed", "--model", HF_TINY_CLIP, "--batch-size", "2", ...images.flatMap((image) => ["--image", image])]);
    expect(result.code).toBe(0);
    const lines = result.lines as { input: string; embedding: number[] }[];
    expect(lines.map((line) => line.input)).toEqual(images);
    const distance = (a: number[], b: number[]) => Math.max(...a.map((value, i) => Math.abs(value - b[i])));
    for (const i of [2, 4]) expect(distance(lines[i].embedding, lines[0].embedding)).toBeLessThan(1e-4);
    expect(distance(lines[3].embedding, lines[1].embedding)).toBeLessThan(1e-4);
    expect(distance(lines[0].embedding, lines[1].embedding)).toBeGreaterThan(1e-3);
  });
});
