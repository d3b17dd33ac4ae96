/**
 * Where a model's files come from: a folder the user maps (or names directly), or a hub
 * repository fetched into the cache. Both answer the same two questions — the local path of a
 * metadata file, and of a tower's graph at a precision — so loading never cares which it is.
 */
import { existsSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { ModelError } from "./errors.js";
import { DEFAULT_CLIP_VERSION, ensureHubFile, ensureHubOnnx, hubModelFor, isHubVersion, unknownVersionError, type HubModel } from "./hub.js";
import { describeOnnxFiles, externalDataFiles, METADATA_FILES, onnxFile, type Tower } from "./layout.js";
import type { Dtype, ResolvedModelOptions } from "./options.js";

export interface ModelSource {
  /** Stable identity for sharing sessions and caches: the folder path or the hub repository. */
  readonly id: string;
  /** For messages, e.g. `CLIP ViT-B-32 (Xenova/clip-vit-base-patch32)`. */
  readonly label: string;
  file(name: string): Promise<string>;
  /** The graph of a tower at a precision; `config` is the parsed config.json (external data). */
  onnx(tower: Tower, dtype: Dtype, config: unknown): Promise<string>;
}

/**
 * `spec` is a version (mapped to a folder, or fetched from the hub) or a folder path. A mapping
 * wins over the hub, so `ViT-B-32=/my/export` replaces the download entirely.
 */
export function resolveModelSource(spec: string | undefined, options: ResolvedModelOptions): ModelSource {
  const version = spec ?? DEFAULT_CLIP_VERSION;
  const mapped = options.folders[version];
  if (mapped !== undefined) return new FolderSource(resolve(mapped), `CLIP ${version} (folder ${resolve(mapped)})`);
  if (isHubVersion(version)) return new HubSource(hubModelFor(version), options);
  if (looksLikeFolder(version)) return new FolderSource(resolve(version), `model folder ${resolve(version)}`);
  throw unknownVersionError(version);
}

function looksLikeFolder(spec: string): boolean {
  if (isAbsolute(spec) || spec.startsWith(".") || spec.includes("/") || spec.includes("\\")) return true;
  return existsSync(spec) && statSync(spec).isDirectory();
}

class FolderSource implements ModelSource {
  readonly id: string;

  constructor(
    readonly folder: string,
    readonly label: string,
  ) {
    this.id = folder;
  }

  async file(name: string): Promise<string> {
    const path = join(this.folder, ...name.split("/"));
    if (await isFile(path)) return path;
    if (!(await isDirectory(this.folder))) throw new ModelError(`${this.label}: the folder does not exist`);
    throw new ModelError(
      `${this.label} has no ${name}; a model folder in the transformers.js layout holds ${METADATA_FILES.join(", ")}, ` +
        `onnx/vision_model*.onnx and onnx/text_model*.onnx`,
    );
  }

  async onnx(tower: Tower, dtype: Dtype, config: unknown): Promise<string> {
    const graph = onnxFile(tower, dtype);
    const path = join(this.folder, ...graph.split("/"));
    if (!(await isFile(path))) {
      const present = await readdir(join(this.folder, "onnx")).catch(() => [] as string[]);
      throw new ModelError(`${this.label} has no ${graph} for --dtype ${dtype}; its onnx folder has ${describeOnnxFiles(tower, present)}`);
    }
    for (const data of externalDataFiles(config, graph)) await this.file(data);
    return path;
  }
}

class HubSource implements ModelSource {
  readonly id: string;
  readonly label: string;

  constructor(
    private readonly model: HubModel,
    private readonly options: ResolvedModelOptions,
  ) {
    this.id = `hub:${model.repo}`;
    this.label = `CLIP ${model.version} (${model.repo})`;
  }

  file(name: string): Promise<string> {
    return ensureHubFile(this.model, name, this.options);
  }

  onnx(tower: Tower, dtype: Dtype): Promise<string> {
    return ensureHubOnnx(this.model, tower, dtype, this.options);
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
