/**
 * The model layer: embedding models on ONNX Runtime, one family of models (CLIP today) per
 * folder under `families/`, everything else shared by all of them.
 *
 * Built on onnxruntime-node and @huggingface/tokenizers directly rather than on
 * @huggingface/transformers, because what sightline needs most is exactly what that library
 * decides for you:
 * - downloads with our own cache layout, progress bar, all-or-nothing writes (temporary file,
 *   fsync, rename), an offline mode that never touches the network and says which file is
 *   missing, and a configurable mirror;
 * - control over preprocessing: Pillow-exact resizing, so pixels equal Hugging Face's Python
 *   CLIPImageProcessor (transformers.js resizes differently), in WebAssembly SIMD;
 * - control over execution: sessions in a worker thread (onnxruntime-node's `run` blocks the
 *   event loop), shared per (model, tower, precision), batches coalesced across callers.
 * Any folder in the transformers.js layout still works, so exports made for transformers.js
 * (including the Xenova CLIP repositories we download) load unchanged.
 *
 * A family declares only what differs (`family.ts`): versions and their hub repositories, how
 * its folder is recognised, its towers' graphs and tensors, its preprocessing and tokenizer, its
 * own options. Adding one is a folder under `families/` and a line in `families/index.ts`.
 */
export { ModelRuntime, modelRuntime, type ModelRequest, type RuntimeStats } from "./runtime.js";
export type { EmbeddingModel, InferenceStats } from "./model.js";
export type {
  FamilyOption,
  FamilyTowers,
  FamilyVersions,
  ImagePreprocessor,
  ImageTower,
  Modality,
  ModelFamily,
  TextTokenizer,
  TextTower,
  TowerFiles,
  TowerLayout,
} from "./family.js";
export { MODEL_FAMILIES } from "./families/index.js";
export { clipFamily, type ClipOptions } from "./families/clip/index.js";
export { ImageProcessor, parseImageProcessorConfig, type ImageProcessorConfig } from "./preprocessing/image-processor.js";
export type { RgbPixels } from "./preprocessing/resample.js";
export { ModelDownloadError, ModelError, ModelOfflineError } from "./errors.js";
export type { DownloadProgress } from "./download.js";
export { listCachedModels, pullModel, type CachedModel, type PullResult, type PulledFile } from "./hub.js";
export { DTYPES, type Dtype, type ExecutionProvider, type ModelOptions, type Workload } from "./options.js";
/** A tiny random-weight CLIP written on the spot, for tests and demos without a download. */
export { createTinyClipModel, TINY_CLIP } from "./testing/tiny-clip.js";
