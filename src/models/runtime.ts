/**
 * The model service every step and stream shares, for every family: models by (family, source,
 * precision), created on first use; worker threads of ONNX Runtime sessions (`SessionHost`); an
 * LRU cache of text embeddings (prompts and class names repeat on every frame); object detectors
 * by the folder a model id is mapped to, on the same workers; images warmed ahead for either.
 */
import { resolve } from "node:path";
import { serviceKey } from "../block-api/services.js";
import { DetectionModel, type RawDetections } from "./detection/detector.js";
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
  private readonly detectors = new Map<string, DetectionModel>();
  /** Image results started ahead of need (`warmImages`, `warmDetections`), per image and model id; taken once. */
  private readonly warmed = new WeakMap<RgbPixels, Map<string, Promise<unknown>>>();
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
    return this.withWarmed(images, model.id, (missing) => model.embedImages(missing));
  }

  /**
   * Starts embedding images that a step is about to ask for (the next video frame while the
   * current one is still being processed), so inference overlaps the rest of the pipeline; the
   * next `embedImages` of the same image object takes the result instead of computing it again.
   */
  warmImages(images: readonly RgbPixels[], request: ModelRequest = {}): void {
    const model = this.model(request);
    this.warm(images, model.id, (fresh) => model.embedImages(fresh));
  }

  /**
   * The object detector a model id names: the folder (or .onnx file) `folders` maps it to, or a
   * path given as the id itself (docs/reference/models.md#object-detection-models). Nothing is
   * loaded until it detects something.
   */
  detector(modelId: string): DetectionModel {
    if (typeof modelId !== "string" || modelId.length === 0) throw new ModelError(`a model id must be a non-empty string, got ${JSON.stringify(modelId)}`);
    const mapped = this.options.folders[modelId];
    const path = mapped ?? (/^(\.{1,2}[\\/]|[\\/])/.test(modelId) ? modelId : undefined);
    if (path === undefined) {
      throw new ModelError(
        `object detection model "${modelId}" is not mapped to a local model folder: sightline runs detectors from ONNX exports on disk, ` +
          `mapped with --model ${modelId}=<folder> (SIGHTLINE_MODELS, settings.models.folders) — see docs/reference/models.md#object-detection-models`,
      );
    }
    const folder = resolve(path);
    let detector = this.detectors.get(folder);
    if (!detector) {
      const label = mapped === undefined ? `object detection model ${folder}` : `object detection model ${modelId} (${folder})`;
      detector = new DetectionModel({ path: folder, label, host: this.host, maxBatchSize: this.options.maxBatchSize, stats: this.stats });
      this.detectors.set(folder, detector);
    }
    return detector;
  }

  /** The raw outputs of a detector for each image, in order (`DetectionModel.detections` makes boxes of them). */
  async detect(images: readonly RgbPixels[], modelId: string): Promise<RawDetections[]> {
    const detector = this.detector(modelId);
    return this.withWarmed(images, detector.id, (missing) => detector.infer(missing));
  }

  /** `warmImages` for a detector: the next `detect` of the same image object takes the result. */
  warmDetections(images: readonly RgbPixels[], modelId: string): void {
    const detector = this.detector(modelId);
    this.warm(images, detector.id, (fresh) => detector.infer(fresh));
  }

  /** Results for `images` in order: those warmed for `id` taken, the others computed together. */
  private async withWarmed<T>(images: readonly RgbPixels[], id: string, compute: (missing: RgbPixels[]) => Promise<T[]>): Promise<T[]> {
    const ahead = images.map((image) => this.takeWarmed(image, id) as Promise<T> | undefined);
    const missing: RgbPixels[] = [];
    const slot = ahead.map((promise, i) => (promise ? -1 : missing.push(images[i]) - 1));
    const computed = missing.length > 0 ? compute(missing) : Promise.resolve([]);
    return Promise.all(ahead.map((promise, i) => promise ?? computed.then((results) => results[slot[i]])));
  }

  private warm(images: readonly RgbPixels[], id: string, compute: (fresh: RgbPixels[]) => Promise<unknown[]>): void {
    const fresh = images.filter((image) => !this.warmed.get(image)?.has(id));
    if (fresh.length === 0) return;
    const batch = compute(fresh);
    const done = batch.catch(() => undefined); // whoever takes it sees the error
    this.warming.add(done);
    void done.then(() => this.warming.delete(done));
    fresh.forEach((image, i) => {
      const byModel = this.warmed.get(image) ?? new Map<string, Promise<unknown>>();
      const result = batch.then((results) => results[i]);
      // A warm nobody takes (a forecast that was wrong) must not fail as an unhandled rejection,
      // which would end the process; whoever takes it still gets the error.
      result.catch(() => undefined);
      byModel.set(id, result);
      this.warmed.set(image, byModel);
    });
  }

  /** Resolves once every inference `warmImages` has started so far is over. */
  async warmingDone(): Promise<void> {
    await Promise.all(this.warming);
  }

  private takeWarmed(image: RgbPixels, id: string): Promise<unknown> | undefined {
    const byModel = this.warmed.get(image);
    const promise = byModel?.get(id);
    if (promise) byModel!.delete(id);
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
    this.detectors.clear();
    this.textCache.clear();
    await this.host.close();
  }
}

/** The runtime as an engine service, configured from `settings.models` (see `ModelOptions`). */
export const modelRuntime = serviceKey("models", (services) => new ModelRuntime(optionsFrom(services.settings)));
