/**
 * Model options shared by `run`, `embed`, `models`, `serve` and `demo`: `--model
 * <version>=<folder>` (repeatable), precision, threads, cache, mirror, offline. They become the
 * `models` settings of the one `Services` every engine of the process shares. A mapping means the
 * same on every command, and names a version some model family knows.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { Services } from "../block-api/index.js";
import { didYouMean } from "../definition/index.js";
import { positiveInteger } from "./io.js";
import { DTYPES, MODEL_FAMILIES, type Dtype, type ModelOptions } from "../models/index.js";
import { createProgressBar } from "../models/progress.js";
import { splitModelMapping } from "../models/options.js";

export interface ModelCliOptions {
  model: Record<string, string>;
  dtype?: Dtype;
  threads?: number;
  inferenceWorkers?: number;
  batchSize?: number;
  cacheDir?: string;
  mirror?: string;
  offline?: boolean;
}

/** Every version a model family names, hub or folder-only: what `--model <version>=<folder>` may map. */
function knownVersions(): string[] {
  return MODEL_FAMILIES.flatMap((family) => [...Object.keys(family.versions.hub), ...family.versions.folderOnly]);
}

/**
 * Object detection model ids a mapping may name besides versions: upstream's `<project>/<version>`
 * and its public aliases (`yolov8n-640`, `rfdetr-base`; docs/reference/models.md#exporting-and-mapping-a-model).
 */
function isDetectionModelId(name: string): boolean {
  return /^[^/]+\/[^/]+$/.test(name) || /^(yolo|rf)/i.test(name);
}

/** `<version>=<folder>`, the version checked: a typo would map nothing and download the real model instead. */
export function parseModelMapping(text: string): [version: string, folder: string] {
  let mapping: [string, string];
  try {
    mapping = splitModelMapping(text, "--model");
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  const versions = knownVersions();
  if (!versions.includes(mapping[0]) && !isDetectionModelId(mapping[0])) {
    throw new InvalidArgumentError(
      `unknown model version "${mapping[0]}".${didYouMean(mapping[0], versions)} Versions: ${versions.join(", ")}; object detection model ids look like <project>/<version>`,
    );
  }
  return mapping;
}

/** What `embed --model` names: a version or a folder to embed with, or `<version>=<folder>` as on every command. */
export interface EmbedModel {
  version: string;
  folders: Record<string, string>;
}

export function parseEmbedModel(text: string): EmbedModel {
  if (!text.includes("=")) return { version: text, folders: {} };
  const [version, folder] = parseModelMapping(text);
  return { version, folders: { [version]: folder } };
}

function modelMapping(text: string, previous: Record<string, string>): Record<string, string> {
  const [version, folder] = parseModelMapping(text);
  return { ...previous, [version]: folder };
}

/** Adds the model options; `mapping` is false for `embed`, whose `--model` also names the model to use. */
export function addModelOptions(command: Command, mapping = true): Command {
  if (mapping) {
    command.addOption(
      new Option(
        "--model <version=folder>",
        "use a model folder for a model version or detection model id, e.g. ViT-B-32=./models/clip, my-project/3=./models/yolo11n; repeatable",
      )
        .argParser(modelMapping)
        .default({}, "none"),
    );
  }
  return command
    .addOption(new Option("--dtype <precision>", "model precision: the matching onnx/*_<precision>.onnx files").choices([...DTYPES]))
    .option("--threads <n>", "CPU threads for inference, shared by the inference workers (default: all CPUs)", positiveInteger)
    .option(
      "--inference-workers <n>",
      "inferences run side by side, each with threads/n ONNX Runtime threads (default: 2 for video files, folders and several images; else 1)",
      positiveInteger,
    )
    .option("--batch-size <n>", "images per inference at most (default 16; 1 makes int8 embeddings independent of the batch)", positiveInteger)
    .option("--cache-dir <dir>", "where downloaded models live (default ~/.cache/sightline/models, or SIGHTLINE_CACHE_DIR)")
    .option("--mirror <url>", "Hugging Face endpoint to download from (or SIGHTLINE_HF_MIRROR)")
    .option("--offline", "never touch the network; fail naming the missing file (or SIGHTLINE_OFFLINE=1)");
}

export function modelSettings(options: Partial<ModelCliOptions>, defaults: Partial<ModelOptions> = {}): ModelOptions {
  const settings: ModelOptions = { ...defaults, onProgress: createProgressBar() };
  if (options.model && Object.keys(options.model).length > 0) settings.folders = options.model;
  if (options.dtype) settings.dtype = options.dtype;
  if (options.threads) settings.threads = options.threads;
  if (options.inferenceWorkers) settings.inferenceWorkers = options.inferenceWorkers;
  if (options.batchSize) settings.maxBatchSize = options.batchSize;
  if (options.cacheDir) settings.cacheDir = options.cacheDir;
  if (options.mirror) settings.mirror = options.mirror;
  if (options.offline) settings.offline = true;
  return settings;
}

export function createServices(options: Partial<ModelCliOptions>, defaults: Partial<ModelOptions> = {}): Services {
  return new Services({ models: modelSettings(options, defaults) });
}
