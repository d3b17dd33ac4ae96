/**
 * Compatibility with a genuine Hugging Face export (test/fixtures/tiny-clip: transformers'
 * CLIPVisionModelWithProjection / CLIPTextModelWithProjection through torch.onnx.export), mapped
 * to a version the way `--model ViT-B-32=<folder>` does. Its weights are random: this checks
 * loading, preprocessing, tokenisation, pooling and shapes, not what the embeddings mean.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ModelRuntime } from "../../src/models/index.js";
import { cosineSimilarity } from "../../src/maths/vectors.js";
import { HF_TINY_CLIP, syntheticPhoto } from "./helpers.js";

describe("the Hugging Face tiny-clip export", () => {
  const clip = new ModelRuntime({ folders: { "ViT-B-32": HF_TINY_CLIP }, threads: 1 });
  afterAll(() => clip.close());
  const images = [syntheticPhoto(640, 480, 7), syntheticPhoto(224, 224, 8), syntheticPhoto(300, 500, 9)];
  const texts = ["a photo of a cat", "a blurry picture of a police car at night", "snow"];

  it("embeds images and texts into its 32-d projection space", async () => {
    const [imageEmbeddings, textEmbeddings] = await Promise.all([clip.embedImages(images), clip.embedTexts(texts)]);
    expect(imageEmbeddings.map((e) => e.length)).toEqual([32, 32, 32]);
    expect(textEmbeddings.map((e) => e.length)).toEqual([32, 32, 32]);
    expect(imageEmbeddings.flat().every(Number.isFinite)).toBe(true);
    expect(cosineSimilarity(textEmbeddings[0], textEmbeddings[1])).toBeLessThan(0.9999);
    expect(Number.isFinite(cosineSimilarity(imageEmbeddings[0], textEmbeddings[0]))).toBe(true);
  });

  it("gives the same embeddings batched and alone (padding leaves the end-token pooling intact)", async () => {
    const alone = new ModelRuntime({ folders: { "ViT-B-32": HF_TINY_CLIP }, threads: 1 });
    try {
      const batchedTexts = await clip.embedTexts(texts);
      const batchedImages = await clip.embedImages(images);
      for (let i = 0; i < texts.length; i++) {
        const single = (await alone.embedTexts([texts[i]]))[0];
        single.forEach((value, j) => expect(Math.abs(value - batchedTexts[i][j])).toBeLessThan(1e-5));
        const image = (await alone.embedImages([images[i]]))[0];
        image.forEach((value, j) => expect(Math.abs(value - batchedImages[i][j])).toBeLessThan(1e-5));
      }
    } finally {
      await alone.close();
    }
  });

  it("truncates a text longer than the context to 77 tokens instead of failing", async () => {
    const long = Array.from({ length: 120 }, (_, i) => (i % 2 ? "cat" : "dog")).join(" ");
    expect((await clip.embedTexts([long]))[0]).toHaveLength(32);
  });

  it("lists the precisions the folder has when another is asked for", async () => {
    await expect(clip.embedImages(images, { dtype: "int8" })).rejects.toThrow(
      /has no onnx\/vision_model_int8\.onnx for --dtype int8; its onnx folder has vision_model\.onnx \(fp32\)$/,
    );
  });
});
