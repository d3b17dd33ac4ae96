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
export { EmbeddingModel, type InferenceStats } from "./model.js";
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
export { FamilyRegistry } from "./registry.js";
export { clipFamily, UPSTREAM_CLIP_VERSIONS, type ClipOptions } from "./families/clip/index.js";
export { ClipTokenizer } from "./families/clip/tokenizer.js";
export { argmax, argmin } from "./families/clip/similarity.js";
export { ImageProcessor, parseImageProcessorConfig, resizedSize, type ImageProcessorConfig } from "./preprocessing/image-processor.js";
export type { RgbPixels } from "./preprocessing/resample.js";
export { ModelDownloadError, ModelError, ModelOfflineError } from "./errors.js";
export type { DownloadProgress } from "./download.js";
export { listCachedModels, pullModel, type CachedModel, type PullResult, type PulledFile } from "./hub.js";
export { CONFIG_FILE, onnxFile, PREPROCESSOR_CONFIG_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from "./layout.js";
export {
  DTYPES,
  optionsFrom,
  parseModelFolders,
  resolveModelOptions,
  splitModelMapping,
  type Dtype,
  type ExecutionProvider,
  type ModelOptions,
  type ResolvedModelOptions,
  type Workload,
} from "./options.js";
export { createProgressBar, formatBytes } from "./progress.js";
export { createTinyClipModel, TINY_CLIP } from "./testing/tiny-clip.js";
