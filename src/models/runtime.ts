/**
 * The model service every step and stream shares, for every family: models by (family, source,
 * precision), created on first use; worker threads of ONNX Runtime sessions (`SessionHost`); an
 * LRU cache of text embeddings (prompts and class names repeat on every frame).
 */
import { serviceKey } from "../block-api/services.js";
import { ModelError } from "./errors.js";
import { LruCache } from "./lru.js";
import { EmbeddingModel, modelId, type InferenceStats } from "./model.js";
import { resolveModelSource } from "./model-source.js";
import { SessionHost } from "./onnx/session-host.js";
import { DTYPES, optionsFrom, resolveModelOptions, type Dtype, type ModelOptions, type ResolvedModelOptions } from "./options.js";
import type { RgbPixels } from "./preprocessing/resample.js";

export interface ModelRequest {
  /** A family id, e.g. `clip`; default the family declaring `version`, else the default family. */
  family?: string;
  /** A version (`ViT-B-32`, or one mapped to a folder) or a model folder path; default the family's default version. */
  version?: string;
  dtype?: Dtype;
}

export interface RuntimeStats extends InferenceStats {
  textCacheHits: number;
  textCacheMisses: number;
}

export class ModelRuntime {
  readonly options: ResolvedModelOptions;
  readonly stats: RuntimeStats = { visionRuns: 0, visionImages: 0, textRuns: 0, textTexts: 0, textCacheHits: 0, textCacheMisses: 0 };
  private readonly host: SessionHost;
  private readonly models = new Map<string, EmbeddingModel>();
  /** The model each (family, version, precision) request named, so that it is resolved once. */
  private readonly modelsByRequest = new Map<string, EmbeddingModel>();
  private readonly textCache: LruCache<string, readonly number[]>;
  /** Texts being embedded right now, so concurrent requests for one prompt share the work. */
  private readonly pendingTexts = new Map<string, Promise<readonly number[]>>();
  /** Image embeddings started ahead of need (`warmImages`), per image and model; taken once. */
  private readonly warmed = new WeakMap<RgbPixels, Map<string, Promise<number[]>>>();
  /** Warm inferences not finished yet. */
  private readonly warming = new Set<Promise<unknown>>();

  constructor(options: ModelOptions = {}) {
    this.options = resolveModelOptions(options);
    const { threads, inferenceWorkers, executionProvider } = this.options;
    this.host = new SessionHost({ workers: inferenceWorkers, threadsPerWorker: Math.max(1, Math.floor(threads / inferenceWorkers)), executionProvider });
    this.textCache = new LruCache(this.options.textCacheSize);
  }

  /** The model a request names; nothing is loaded until it embeds something. */
  model(request: ModelRequest = {}): EmbeddingModel {
    // Families and versions may come from a workflow selector, so check what TypeScript cannot.
    if (request.family !== undefined && typeof request.family !== "string") {
      throw new ModelError(`a model family must be a string, got ${JSON.stringify(request.family)}`);
    }
    if (request.version !== undefined && typeof request.version !== "string") {
      const { families } = this.options;
      const family = request.family === undefined ? families.default : families.get(request.family);
      throw new ModelError(`a ${family.label} version must be a string, got ${JSON.stringify(request.version)}`);
    }
    const dtype = request.dtype ?? this.options.dtype;
    // asked on every frame: resolving the source (which may look at the disk) happens once per request
    const requestKey = `${request.family ?? ""}\0${request.version ?? ""}\0${dtype}`;
    const known = this.modelsByRequest.get(requestKey);
    if (known) return known;
    const { family, source } = resolveModelSource(request, this.options);
    if (!DTYPES.includes(dtype)) throw new ModelError(`unknown precision "${dtype}": use one of ${DTYPES.join(", ")}`);
    const key = modelId(family, source, dtype);
    let model = this.models.get(key);
    if (!model) {
      model = new EmbeddingModel({
        family,
        source,
        dtype,
        host: this.host,
        maxBatchSize: this.options.maxBatchSize,
        stats: this.stats,
      });
      this.models.set(key, model);
    }
    this.modelsByRequest.set(requestKey, model);
    return model;
  }

  /** One embedding per image, in order; the images go through the image tower together. */
  async embedImages(images: readonly RgbPixels[], request: ModelRequest = {}): Promise<number[][]> {
    const model = this.model(request);
    const ahead = images.map((image) => this.takeWarmed(image, model.id));
    const missing: RgbPixels[] = [];
    const slot = ahead.map((promise, i) => (promise ? -1 : missing.push(images[i]) - 1));
    const computed = missing.length > 0 ? model.embedImages(missing) : Promise.resolve([]);
    return Promise.all(ahead.map((promise, i) => promise ?? computed.then((embeddings) => embeddings[slot[i]])));
  }

  /**
   * Starts embedding images that a step is about to ask for (the next video frame while the
   * current one is still being processed), so inference overlaps the rest of the pipeline; the
   * next `embedImages` of the same image object takes the result instead of computing it again.
   */
  warmImages(images: readonly RgbPixels[], request: ModelRequest = {}): void {
    const model = this.model(request);
    const fresh = images.filter((image) => !this.warmed.get(image)?.has(model.id));
    if (fresh.length === 0) return;
    const batch = model.embedImages(fresh);
    const done = batch.catch(() => undefined); // whoever takes it sees the error
    this.warming.add(done);
    void done.then(() => this.warming.delete(done));
    fresh.forEach((image, i) => {
      const byModel = this.warmed.get(image) ?? new Map<string, Promise<number[]>>();
      const embedding = batch.then((embeddings) => embeddings[i]);
      // A warm nobody takes (a forecast that was wrong) must not fail as an unhandled rejection,
      // which would end the process; whoever takes it still gets the error.
      embedding.catch(() => undefined);
      byModel.set(model.id, embedding);
      this.warmed.set(image, byModel);
    });
  }

  /** Resolves once every inference `warmImages` has started so far is over. */
  async warmingDone(): Promise<void> {
    await Promise.all(this.warming);
  }

  private takeWarmed(image: RgbPixels, modelId: string): Promise<number[]> | undefined {
    const byModel = this.warmed.get(image);
    const promise = byModel?.get(modelId);
    if (promise) byModel!.delete(modelId);
    return promise;
  }

  /** One embedding per text, in order; texts not in the cache go through the text model together. */
  async embedTexts(texts: readonly string[], request: ModelRequest = {}): Promise<number[][]> {
    const model = this.model(request);
    if (texts.length > 0) model.tower("text");
    const found = new Map<string, Promise<readonly number[]> | readonly number[]>();
    const missing: string[] = [];
    for (const text of new Set(texts)) {
      const key = `${model.id}\n${text}`;
      const cached = this.textCache.get(key) ?? this.pendingTexts.get(key);
      if (cached) {
        this.stats.textCacheHits++;
        found.set(text, cached);
      } else {
        this.stats.textCacheMisses++;
        missing.push(text);
      }
    }
    if (missing.length > 0) {
      const batch = model.embedTexts(missing);
      missing.forEach((text, i) => {
        const key = `${model.id}\n${text}`;
        const embedding = batch.then((embeddings) => embeddings[i]);
        this.pendingTexts.set(key, embedding);
        found.set(text, embedding);
        embedding
          .then(
            (value) => this.textCache.set(key, value),
            () => undefined,
          )
          .finally(() => this.pendingTexts.delete(key));
      });
    }
    // Copies, so a caller that edits its embedding cannot change the cached one.
    return Promise.all(texts.map(async (text) => [...(await found.get(text)!)]));
  }

  async close(): Promise<void> {
    this.models.clear();
    this.modelsByRequest.clear();
    this.textCache.clear();
    await this.host.close();
  }
}

/** The runtime as an engine service, configured from `settings.models` (see `ModelOptions`). */
export const modelRuntime = serviceKey("models", (services) => new ModelRuntime(optionsFrom(services.settings)));
