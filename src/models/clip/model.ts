/**
 * One CLIP model at one precision: its image processor and vision graph, its tokenizer and text
 * graph — each tower loaded (and, from the hub, downloaded) on first use, so a text-only
 * workflow never fetches the vision weights. Embeddings are the raw `image_embeds` /
 * `text_embeds` projections, not normalised, as upstream returns them.
 */
import { readFile } from "node:fs/promises";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { BatchQueue } from "../batch-queue.js";
import { ModelError } from "../errors.js";
import { isJsonObject } from "../../definition/json.js";
import { CONFIG_FILE, PREPROCESSOR_CONFIG_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "../layout.js";
import type { ModelSource } from "../model-source.js";
import { fromFloat16Bits, float32ToFloat16 } from "../onnx/float16.js";
import type { OnnxSession, SessionHost, TensorData } from "../onnx/session-host.js";
import type { Dtype } from "../options.js";
import { ClipImageProcessor, parseImageProcessorConfig } from "./image-processor.js";
import type { RgbPixels } from "./resample.js";
import { ClipTokenizer } from "./tokenizer.js";

const PIXEL_VALUES = "pixel_values";
const IMAGE_EMBEDS = "image_embeds";
const INPUT_IDS = "input_ids";
const ATTENTION_MASK = "attention_mask";
const TEXT_EMBEDS = "text_embeds";

export interface ClipModelInit {
  source: ModelSource;
  dtype: Dtype;
  host: SessionHost;
  maxBatchSize: number;
  /** Counts inferences, for callers that check batching (tests, benchmarks). */
  stats: InferenceStats;
}

export interface InferenceStats {
  visionRuns: number;
  visionImages: number;
  textRuns: number;
  textTexts: number;
}

export interface VisionTower {
  processor: ClipImageProcessor;
  session: OnnxSession;
}

export interface TextTower {
  tokenizer: ClipTokenizer;
  session: OnnxSession;
  /** Fixed sequence length of the graph, or null when it takes any length. */
  fixedLength: number | null;
}

export class ClipModel {
  /** Identity for caches: the source and the precision. */
  readonly id: string;
  readonly source: ModelSource;
  readonly dtype: Dtype;
  private readonly visionQueue: BatchQueue<Float32Array, number[]>;
  private readonly textQueue: BatchQueue<number[], number[]>;
  /** The parsed config.json, read once. */
  readonly config: () => Promise<unknown>;
  /** The image processor and vision session, loaded once (a failed load is retried next time). */
  readonly vision: () => Promise<VisionTower>;
  /** The tokenizer and text session, loaded once (a failed load is retried next time). */
  readonly text: () => Promise<TextTower>;

  constructor(private readonly init: ClipModelInit) {
    this.source = init.source;
    this.dtype = init.dtype;
    this.id = `${init.source.id}#${init.dtype}`;
    this.visionQueue = new BatchQueue((items) => this.runVision(items), init.maxBatchSize, init.host.concurrency);
    this.textQueue = new BatchQueue((items) => this.runText(items), init.maxBatchSize, init.host.concurrency);
    this.config = retryable(() => this.readJson(CONFIG_FILE));
    this.vision = retryable(() => this.loadVision());
    this.text = retryable(() => this.loadText());
  }

  async embedImages(images: readonly RgbPixels[]): Promise<number[][]> {
    if (images.length === 0) return [];
    const { processor } = await this.vision();
    const inputs = images.map(() => new Float32Array(processor.pixelsPerImage));
    for (const [i, image] of images.entries()) {
      try {
        processor.preprocess(image, inputs[i], 0);
      } catch (error) {
        throw new ModelError(`image ${i}: ${(error as Error).message}`);
      }
      // Resizing is CPU work on this thread; let timers and I/O in between images.
      if (i < images.length - 1) await nextMacrotask();
    }
    return this.visionQueue.push(inputs);
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

  private async loadVision(): Promise<VisionTower> {
    const config = await this.config();
    const processor = new ClipImageProcessor(
      parseImageProcessorConfig(await this.readJson(PREPROCESSOR_CONFIG_FILE), `${this.source.label}: ${PREPROCESSOR_CONFIG_FILE}`),
    );
    const session = await this.init.host.session(await this.source.onnx("vision", this.dtype, config));
    this.expect(session, PIXEL_VALUES, IMAGE_EMBEDS);
    const shape = session.input(PIXEL_VALUES)?.shape ?? [];
    const [, , height, width] = shape;
    if ((typeof height === "number" && height !== processor.height) || (typeof width === "number" && width !== processor.width)) {
      throw new ModelError(
        `${this.source.label}: ${PREPROCESSOR_CONFIG_FILE} makes ${processor.width}x${processor.height} images but the vision model takes ${width}x${height}`,
      );
    }
    return { processor, session };
  }

  private async loadText(): Promise<TextTower> {
    const config = await this.config();
    const textConfig = isJsonObject(config) && isJsonObject(config.text_config) ? config.text_config : {};
    const context = typeof textConfig.max_position_embeddings === "number" ? textConfig.max_position_embeddings : null;
    const tokenizer = ClipTokenizer.fromFiles(await this.readJson(TOKENIZER_FILE), await this.readJson(TOKENIZER_CONFIG_FILE), context, this.source.label);
    const session = await this.init.host.session(await this.source.onnx("text", this.dtype, config));
    this.expect(session, INPUT_IDS, TEXT_EMBEDS);
    const length = session.input(INPUT_IDS)?.shape[1];
    return { tokenizer, session, fixedLength: typeof length === "number" ? length : null };
  }

  private expect(session: OnnxSession, input: string, output: string): void {
    if (!session.input(input) || !session.outputs.includes(output)) {
      throw new ModelError(
        `${this.source.label}: ${session.path} is not a CLIP ${input === PIXEL_VALUES ? "vision" : "text"} tower with projection: ` +
          `it takes ${session.inputs.map((i) => i.name).join(", ")} and gives ${session.outputs.join(", ")}; expected ${input} → ${output}`,
      );
    }
  }

  private async runVision(items: Float32Array[]): Promise<number[][]> {
    const { processor, session } = await this.vision();
    const size = processor.pixelsPerImage;
    const pixels = new Float32Array(items.length * size);
    items.forEach((item, i) => pixels.set(item, i * size));
    const dims = [items.length, 3, processor.height, processor.width];
    const float16 = session.input(PIXEL_VALUES)?.type === "float16";
    const feeds: Record<string, TensorData> = {
      [PIXEL_VALUES]: float16 ? { type: "float16", data: float32ToFloat16(pixels), dims } : { type: "float32", data: pixels, dims },
    };
    const outputs = await session.run(feeds, [IMAGE_EMBEDS]);
    this.init.stats.visionRuns++;
    this.init.stats.visionImages += items.length;
    return rows(outputs[IMAGE_EMBEDS], items.length);
  }

  private async runText(sequences: number[][]): Promise<number[][]> {
    const { tokenizer, session, fixedLength } = await this.text();
    const length = fixedLength ?? Math.max(...sequences.map((sequence) => sequence.length));
    const dims = [sequences.length, length];
    const ids = tokenizer.pad(sequences, length);
    const feeds: Record<string, TensorData> = { [INPUT_IDS]: integerTensor(ids, dims, session.input(INPUT_IDS)?.type) };
    const mask = session.input(ATTENTION_MASK);
    if (mask) {
      const ones = new BigInt64Array(ids.length);
      sequences.forEach((sequence, row) => ones.fill(1n, row * length, row * length + sequence.length));
      feeds[ATTENTION_MASK] = integerTensor(ones, dims, mask.type);
    }
    const outputs = await session.run(feeds, [TEXT_EMBEDS]);
    this.init.stats.textRuns++;
    this.init.stats.textTexts += sequences.length;
    return rows(outputs[TEXT_EMBEDS], sequences.length);
  }
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

/** A memoised async load that forgets a failure, so a later call can succeed (e.g. after `models pull`). */
function retryable<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}
