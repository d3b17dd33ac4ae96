/**
 * The model layer: CLIP on ONNX Runtime.
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
 */
export { ClipRuntime, clipRuntime, type ModelRequest, type RuntimeStats } from "./clip/runtime.js";
export { ClipModel, type InferenceStats } from "./clip/model.js";
export { ClipImageProcessor, parseImageProcessorConfig, resizedSize, type ImageProcessorConfig } from "./clip/image-processor.js";
export { ClipTokenizer } from "./clip/tokenizer.js";
export { argmax, argmin } from "./clip/similarity.js";
export type { RgbPixels } from "./clip/resample.js";
export { ModelDownloadError, ModelError, ModelOfflineError } from "./errors.js";
export type { DownloadProgress } from "./download.js";
export {
  CLIP_REPOSITORIES,
  DEFAULT_CLIP_VERSION,
  FOLDER_ONLY_VERSIONS,
  listCachedModels,
  pullModel,
  type CachedModel,
  type PullResult,
  type PulledFile,
} from "./hub.js";
export { onnxFile, type Tower } from "./layout.js";
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
