/**
 * `sightline embed --model <version|folder> (--image <file> | --text <string>)…`: one JSON line
 * per item, in the order given: `{"type": "image"|"text", "input": …, "embedding": […]}`. The
 * model's family is the one declaring the version, or the one its folder's config.json names.
 * Images go to the model in batches of `maxBatchSize`, a few batches in flight: while one is in
 * inference the next is decoded and preprocessed, on the core inference leaves, and memory
 * holds a few batches of decoded images however many are given. All texts go in one batch. An
 * error prints nothing on stdout (no line is half an answer) and is said once, on stderr.
 */
import { DEFAULT_IMAGE_LOAD_OPTIONS, loadImage, type ImageLoadOptions } from "../../images/codec.js";
import { ModelRuntime, type ModelOptions } from "../../models/index.js";
import { EXIT, UsageError } from "../failure.js";
import { printJson } from "../io.js";

/** Batches of images decoded, preprocessed or in inference at once. */
const BATCHES_IN_FLIGHT = 3;

export interface EmbedItem {
  type: "image" | "text";
  input: string;
}

export async function embedCommand(
  items: readonly EmbedItem[],
  model: string,
  settings: ModelOptions,
  imageLoading: ImageLoadOptions = DEFAULT_IMAGE_LOAD_OPTIONS,
): Promise<number> {
  if (items.length === 0) throw new UsageError("give at least one --image <file> or --text <string>");
  const runtime = new ModelRuntime(settings);
  try {
    const files = items.filter((item) => item.type === "image").map((item) => item.input);
    const texts = items.filter((item) => item.type === "text").map((item) => item.input);
    const batches: string[][] = [];
    const { maxBatchSize } = runtime.options;
    for (let i = 0; i < files.length; i += maxBatchSize) batches.push(files.slice(i, i + maxBatchSize));
    const embedBatch = async (batch: readonly string[]) =>
      runtime.embedImages(await Promise.all(batch.map((file) => loadImage(file, file, imageLoading))), { version: model });
    const [imageEmbeddings, textEmbeddings] = await Promise.all([
      inOrderWithin(batches, BATCHES_IN_FLIGHT, embedBatch).then((results) => results.flat()),
      texts.length > 0 ? runtime.embedTexts(texts, { version: model }) : [],
    ]);
    let image = 0;
    let text = 0;
    for (const item of items) {
      printJson({ type: item.type, input: item.input, embedding: item.type === "image" ? imageEmbeddings[image++] : textEmbeddings[text++] });
    }
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}

/** `work` on every item, at most `limit` at a time, results in the order of `items`. */
async function inOrderWithin<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
