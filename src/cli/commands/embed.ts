/**
 * `sightline embed --model <version|folder> (--image <file> | --text <string>)…`: one JSON line
 * per item, in the order given: `{"type": "image"|"text", "input": …, "embedding": […]}`.
 * All images go to the model in one batch, all texts in another.
 */
import { toErrorBody } from "../../errors/index.js";
import { loadImage } from "../../images/codec.js";
import { ClipRuntime, type ModelOptions } from "../../models/index.js";
import { printJson } from "../io.js";

export interface EmbedItem {
  type: "image" | "text";
  input: string;
}

export async function embedCommand(items: readonly EmbedItem[], model: string, settings: ModelOptions): Promise<number> {
  if (items.length === 0) {
    process.stderr.write("sightline embed: give at least one --image <file> or --text <string>\n");
    return 2;
  }
  const runtime = new ClipRuntime(settings);
  try {
    const images = await Promise.all(items.filter((item) => item.type === "image").map((item) => loadImage(item.input, item.input)));
    const texts = items.filter((item) => item.type === "text").map((item) => item.input);
    const [imageEmbeddings, textEmbeddings] = await Promise.all([
      images.length > 0 ? runtime.embedImages(images, { version: model }) : [],
      texts.length > 0 ? runtime.embedTexts(texts, { version: model }) : [],
    ]);
    let image = 0;
    let text = 0;
    for (const item of items) {
      printJson({ type: item.type, input: item.input, embedding: item.type === "image" ? imageEmbeddings[image++] : textEmbeddings[text++] });
    }
    return 0;
  } catch (error) {
    const body = toErrorBody(error);
    printJson({ error: body });
    process.stderr.write(`sightline embed: ${body.message}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}
