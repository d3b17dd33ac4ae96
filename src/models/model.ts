/**
 * One model of a family at one precision: per tower, its preprocessing (an image processor or a
 * tokenizer) and its graph — each tower loaded (and, from the hub, downloaded) on first use, so a
 * text-only workflow never fetches the image tower's weights. Embeddings are the raw rows of the
 * tower's output tensor (CLIP's `image_embeds` / `text_embeds` projections, not normalised, as
 * upstream returns them).
 */
import { readFile } from "node:fs/promises";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { BatchQueue } from "./batch-queue.js";
import { ModelDownloadError, ModelError } from "./errors.js";
import type { FamilyTowers, ImagePreprocessor, ImageTower, Modality, ModelFamily, TextTokenizer, TextTower, TowerFiles, TowerLayout } from "./family.js";
import { CONFIG_FILE } from "./layout.js";
import type { ModelSource } from "./model-source.js";
import { fromFloat16Bits, float32ToFloat16 } from "./onnx/float16.js";
import type { OnnxSession, SessionHost, TensorData } from "./onnx/session-host.js";
import type { Dtype } from "./options.js";
import type { RgbPixels } from "./preprocessing/resample.js";

export interface EmbeddingModelInit {
  family: ModelFamily;
  source: ModelSource;
  dtype: Dtype;
  host: SessionHost;
  maxBatchSize: number;
  /** Counts inferences, for callers that check batching (tests, benchmarks). */
  stats: InferenceStats;
}

/** Inferences and items per modality; `vision` counts the image tower, whatever the family calls it. */
export interface InferenceStats {
  visionRuns: number;
  visionImages: number;
  textRuns: number;
  textTexts: number;
}

interface LoadedImageTower {
  layout: ImageTower;
  processor: ImagePreprocessor;
  session: OnnxSession;
}

interface LoadedTextTower {
  layout: TextTower;
  tokenizer: TextTokenizer;
  session: OnnxSession;
  /** Fixed sequence length of the graph, or null when it takes any length. */
  fixedLength: number | null;
}

const MODALITIES: readonly Modality[] = ["image", "text"];
const PLURAL: Readonly<Record<Modality, string>> = { image: "images", text: "texts" };

export class EmbeddingModel {
  /** Identity for caches: the family, the source and the precision. */
  readonly id: string;
  readonly family: ModelFamily;
  readonly source: ModelSource;
  readonly dtype: Dtype;
  private readonly imageQueue: BatchQueue<Float32Array, number[]>;
  private readonly textQueue: BatchQueue<number[], number[]>;
  /** The parsed config.json, read once. */
  readonly config: () => Promise<unknown>;
  /** The image processor and image session, loaded once (a failed load: see `loadOnce`). */
  private readonly image: () => Promise<LoadedImageTower>;
  /** The tokenizer and text session, loaded once (a failed load: see `loadOnce`). */
  private readonly text: () => Promise<LoadedTextTower>;

  constructor(private readonly init: EmbeddingModelInit) {
    this.family = init.family;
    this.source = init.source;
    this.dtype = init.dtype;
    this.id = modelId(init.family, init.source, init.dtype);
    this.imageQueue = new BatchQueue((items) => this.runImages(items), init.maxBatchSize, init.host.concurrency);
    this.textQueue = new BatchQueue((items) => this.runTexts(items), init.maxBatchSize, init.host.concurrency);
    const withRemedy = (error: unknown) => withSourceRemedy(error, init.source);
    // Read by the tower loads, which add the remedy to its failure.
    this.config = loadOnce(() => this.readJson(CONFIG_FILE));
    this.image = loadOnce(() => this.loadImageTower(), withRemedy);
    this.text = loadOnce(() => this.loadTextTower(), withRemedy);
  }

  /** The family's tower for `modality`; an error naming what the family embeds when it has none. */
  tower<M extends Modality>(modality: M): NonNullable<FamilyTowers[M]> {
    const tower = this.family.towers[modality];
    if (tower) return tower;
    const embeds = MODALITIES.filter((other) => this.family.towers[other])
      .map((other) => PLURAL[other])
      .join(" and ");
    throw new ModelError(`${this.source.label} cannot embed ${PLURAL[modality]}: ${this.family.label} models embed ${embeds} only`);
  }

  /**
   * Preprocesses one batch of images at a time, and only while at most one more is waiting per
   * inference worker: a preprocessed image is a float tensor (0.6 MB at 224²), and holding one
   * for every image of a call before the first inference made a request of thousands of tiny
   * images take gigabytes (docs/reference/http.md#limits).
   */
  async embedImages(images: readonly RgbPixels[]): Promise<number[][]> {
    if (images.length === 0) return [];
    const { processor } = await this.image();
    const batches: Promise<number[][]>[] = [];
    const ahead = this.init.host.concurrency + 1;
    for (let start = 0; start < images.length; start += this.init.maxBatchSize) {
      // A batch that fails is reported by the Promise.all below, with the others.
      if (batches.length >= ahead) await batches[batches.length - ahead].catch(() => undefined);
      const batch = images.slice(start, start + this.init.maxBatchSize);
      const inputs = batch.map(() => new Float32Array(processor.pixelsPerImage));
      for (const [i, image] of batch.entries()) {
        try {
          processor.preprocess(image, inputs[i], 0);
        } catch (error) {
          // The batches already queued still settle; nobody awaits them any more.
          for (const pushed of batches) pushed.catch(() => undefined);
          throw new ModelError(`image ${start + i}: ${(error as Error).message}`);
        }
        // Resizing is CPU work on this thread; let timers and I/O in between images.
        if (start + i < images.length - 1) await nextMacrotask();
      }
      batches.push(this.imageQueue.push(inputs));
    }
    return (await Promise.all(batches)).flat();
  }

  async embedTexts(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const { tokenizer } = await this.text();
    return this.textQueue.push(texts.map((text) => tokenizer.encode(text)));
  }

  private async readJson(file: string): Promise<unknown> {
    const path = await this.source.file(file);
    try {
      return JSON.parse(await readFile(path, "utf8"));
    } catch (error) {
      throw new ModelError(`${this.source.label}: cannot read ${path}: ${(error as Error).message}`);
    }
  }

  /**
   * A tower's preprocessing, built from config.json and the tower's own files (read in the order
   * the tower lists them), then its graph, loaded and checked to have the tower's tensors.
   */
  private async loadTower<Preprocessing>(
    layout: TowerLayout,
    build: (files: TowerFiles, where: string) => Preprocessing,
  ): Promise<{ preprocessing: Preprocessing; session: OnnxSession }> {
    const files: Record<string, unknown> = { [CONFIG_FILE]: await this.config() };
    for (const file of layout.files) files[file] = await this.readJson(file);
    const preprocessing = build(files, this.source.label);
    const session = await this.init.host.session(await this.source.onnx(layout, this.dtype, files[CONFIG_FILE]));
    this.expect(session, layout);
    return { preprocessing, session };
  }

  private async loadImageTower(): Promise<LoadedImageTower> {
    const layout = this.tower("image");
    const { preprocessing: processor, session } = await this.loadTower(layout, layout.processor);
    const [, , height, width] = session.input(layout.input)?.shape ?? [];
    if ((typeof height === "number" && height !== processor.height) || (typeof width === "number" && width !== processor.width)) {
      throw new ModelError(
        `${this.source.label}: ${layout.files.join(", ") || "its preprocessing"} makes ${processor.width}x${processor.height} images ` +
          `but the ${layout.name} model takes ${width}x${height}`,
      );
    }
    return { layout, processor, session };
  }

  private async loadTextTower(): Promise<LoadedTextTower> {
    const layout = this.tower("text");
    const { preprocessing: tokenizer, session } = await this.loadTower(layout, layout.tokenizer);
    const length = session.input(layout.input)?.shape[1];
    return { layout, tokenizer, session, fixedLength: typeof length === "number" ? length : null };
  }

  private expect(session: OnnxSession, layout: TowerLayout): void {
    if (!session.input(layout.input) || !session.outputs.includes(layout.output)) {
      throw new ModelError(
        `${this.source.label}: ${session.path} is not a ${this.family.label} ${layout.name} tower: ` +
          `it takes ${session.inputs.map((i) => i.name).join(", ")} and gives ${session.outputs.join(", ")}; expected ${layout.input} → ${layout.output}`,
      );
    }
  }

  private async runImages(items: Float32Array[]): Promise<number[][]> {
    const { layout, processor, session } = await this.image();
    const size = processor.pixelsPerImage;
    const pixels = new Float32Array(items.length * size);
    items.forEach((item, i) => pixels.set(item, i * size));
    const dims = [items.length, 3, processor.height, processor.width];
    const float16 = session.input(layout.input)?.type === "float16";
    const feeds: Record<string, TensorData> = {
      [layout.input]: float16 ? { type: "float16", data: float32ToFloat16(pixels), dims } : { type: "float32", data: pixels, dims },
    };
    const outputs = await session.run(feeds, [layout.output]);
    this.init.stats.visionRuns++;
    this.init.stats.visionImages += items.length;
    return rows(outputs[layout.output], items.length);
  }

  private async runTexts(sequences: number[][]): Promise<number[][]> {
    const { layout, tokenizer, session, fixedLength } = await this.text();
    const length = fixedLength ?? Math.max(...sequences.map((sequence) => sequence.length));
    const dims = [sequences.length, length];
    const ids = tokenizer.pad(sequences, length);
    const feeds: Record<string, TensorData> = { [layout.input]: integerTensor(ids, dims, session.input(layout.input)?.type) };
    const mask = layout.attentionMask === undefined ? undefined : session.input(layout.attentionMask);
    if (mask) {
      const ones = new BigInt64Array(ids.length);
      sequences.forEach((sequence, row) => ones.fill(1n, row * length, row * length + sequence.length));
      feeds[mask.name] = integerTensor(ones, dims, mask.type);
    }
    const outputs = await session.run(feeds, [layout.output]);
    this.init.stats.textRuns++;
    this.init.stats.textTexts += sequences.length;
    return rows(outputs[layout.output], sequences.length);
  }
}

/** Identity of a model for caches: one per family, source and precision. */
export function modelId(family: ModelFamily, source: ModelSource, dtype: Dtype): string {
  return `${family.id}:${source.id}#${dtype}`;
}

function integerTensor(values: BigInt64Array, dims: number[], type: string | undefined): TensorData {
  if (type === "int32") return { type: "int32", data: Int32Array.from(values, (value) => Number(value)), dims };
  return { type: "int64", data: values, dims };
}

/** `[n, d]` output → n plain float64 arrays. */
function rows(tensor: TensorData, n: number): number[][] {
  const values = tensor.type === "float16" ? Array.from(tensor.data as Uint16Array, fromFloat16Bits) : Array.from(tensor.data as Float32Array);
  const width = values.length / n;
  return Array.from({ length: n }, (_, i) => values.slice(i * width, (i + 1) * width));
}

/**
 * How long a load that failed is not tried again. Meanwhile every call fails at once with the
 * same error — a video does not download (and log) once per frame; after it, the next call tries
 * again, so a model pulled or a network back later is picked up without a restart
 * (docs/reference/models.md#when-a-model-cannot-load).
 */
const LOAD_RETRY_DELAY_MS = 60_000;

/** A memoised async load; a failure (passed through `describe`) is kept for `LOAD_RETRY_DELAY_MS`. */
function loadOnce<T>(load: () => Promise<T>, describe: (error: unknown) => unknown = (error) => error): () => Promise<T> {
  let pending: Promise<T> | null = null;
  let failedAt: number | null = null;
  return () => {
    if (failedAt !== null && Date.now() - failedAt >= LOAD_RETRY_DELAY_MS) {
      pending = null;
      failedAt = null;
    }
    pending ??= load().catch((error: unknown) => {
      failedAt = Date.now();
      throw describe(error);
    });
    return pending;
  };
}

/** A download that failed, with what the user can do about it where the source knows (`models pull`, `--mirror`, `--model`). */
function withSourceRemedy(error: unknown, source: ModelSource): unknown {
  if (!(error instanceof ModelDownloadError) || source.remedy === null) return error;
  return new ModelDownloadError(`${error.message}. ${source.remedy}`, error.status);
}
