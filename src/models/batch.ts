/**
 * What the embedding blocks do with a whole batch of steps' inputs: per model of the block's
 * family, every image goes through the image tower in one call and every distinct text through
 * the text tower in one call; results are handed back in the batch's order.
 */
import type { ModelRuntime, ModelRequest } from "./runtime.js";
import type { RgbPixels } from "./preprocessing/resample.js";
import { cosineSimilarity } from "../maths/vectors.js";

export interface EmbeddingItem {
  readonly data: RgbPixels | string;
  readonly version?: string;
}

/** One embedding per item: a text embedding for a string, an image embedding otherwise. */
export async function embedItems(runtime: ModelRuntime, family: string, items: readonly EmbeddingItem[]): Promise<number[][]> {
  const results = new Array<number[]>(items.length);
  await Promise.all(
    groupByVersion(family, items).map(async ({ request, indices }) => {
      const images = indices.filter((i) => typeof items[i].data !== "string");
      const texts = indices.filter((i) => typeof items[i].data === "string");
      const [imageEmbeddings, textEmbeddings] = await Promise.all([
        runtime.embedImages(
          images.map((i) => items[i].data as RgbPixels),
          request,
        ),
        runtime.embedTexts(
          texts.map((i) => items[i].data as string),
          request,
        ),
      ]);
      images.forEach((index, k) => (results[index] = imageEmbeddings[k]));
      texts.forEach((index, k) => (results[index] = textEmbeddings[k]));
    }),
  );
  return results;
}

export interface ComparisonItem {
  readonly image: RgbPixels;
  readonly texts: readonly string[];
  readonly version?: string;
}

/** Per item, the cosine similarity of the image's embedding to each text's, in the texts' order. */
export async function compareImagesToTexts(runtime: ModelRuntime, family: string, items: readonly ComparisonItem[]): Promise<number[][]> {
  const results = new Array<number[]>(items.length);
  await Promise.all(
    groupByVersion(family, items).map(async ({ request, indices }) => {
      const prompts = [...new Set(indices.flatMap((i) => items[i].texts))];
      const [imageEmbeddings, textEmbeddings] = await Promise.all([
        runtime.embedImages(
          indices.map((i) => items[i].image),
          request,
        ),
        runtime.embedTexts(prompts, request),
      ]);
      const byPrompt = new Map(prompts.map((prompt, k) => [prompt, textEmbeddings[k]]));
      indices.forEach((index, k) => {
        results[index] = items[index].texts.map((text) => cosineSimilarity(imageEmbeddings[k], byPrompt.get(text)!));
      });
    }),
  );
  return results;
}

/**
 * A block's list of prompts as resolved at run time (a literal list, or whatever a selector
 * produced), checked to be strings; `property` names the field in the error.
 */
export function promptList(value: unknown, property: string, minItems = 0): string[] {
  if (!Array.isArray(value)) throw new TypeError(`${property} must be a list of strings, got ${value === null ? "null" : typeof value}`);
  const wrong = value.findIndex((item) => typeof item !== "string");
  if (wrong >= 0) throw new TypeError(`${property}[${wrong}] must be a string, got ${JSON.stringify(value[wrong])}`);
  if (value.length < minItems) throw new TypeError(`${property} must hold at least ${minItems} item${minItems === 1 ? "" : "s"}`);
  return value as string[];
}

function groupByVersion(family: string, items: readonly { version?: string }[]): { request: ModelRequest; indices: number[] }[] {
  const groups = new Map<string | undefined, number[]>();
  items.forEach((item, i) => {
    const indices = groups.get(item.version) ?? [];
    indices.push(i);
    groups.set(item.version, indices);
  });
  return [...groups].map(([version, indices]) => ({ request: { family, version }, indices }));
}
