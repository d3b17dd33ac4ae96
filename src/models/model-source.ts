/**
 * Where a model's files come from: a folder the user maps (or names directly), or a hub
 * repository fetched into the cache. Both answer the same two questions — the local path of a
 * metadata file, and of a tower's graph at a precision — so loading never cares which it is.
 */
import { existsSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { ModelError } from "./errors.js";
import type { ModelFamily, TowerLayout } from "./family.js";
import { ensureHubFile, ensureHubOnnx, hubModelOf, unknownVersionError, type HubModel } from "./hub.js";
import { describeOnnxFiles, externalDataFiles, metadataFiles, onnxFile, towersOf } from "./layout.js";
import type { Dtype, ResolvedModelOptions } from "./options.js";

export interface ModelSource {
  /** Stable identity for sharing sessions and caches: the folder path or the hub repository. */
  readonly id: string;
  /** For messages, e.g. `CLIP ViT-B-32 (Xenova/clip-vit-base-patch32)`. */
  readonly label: string;
  /** What to do when its files cannot be had (a download failed), or null when its messages say it already. */
  readonly remedy: string | null;
  file(name: string): Promise<string>;
  /** The graph of a tower at a precision; `config` is the parsed config.json (external data). */
  onnx(tower: TowerLayout, dtype: Dtype, config: unknown): Promise<string>;
}

/** What a model request names: a family (else found from the version) and a version or folder. */
export interface SourceRequest {
  readonly family?: string;
  readonly version?: string;
}

/**
 * The family and source a request names. `version` is a version (mapped to a folder, or fetched
 * from the hub) or a folder path; default the family's default version. A mapping wins over the
 * hub, so `ViT-B-32=/my/export` replaces the download entirely. Without a family, the version's
 * family is the one declaring it, else the one the folder's config.json names, else the default.
 */
export function resolveModelSource(request: SourceRequest, options: ResolvedModelOptions): { family: ModelFamily; source: ModelSource } {
  const { families } = options;
  const named = request.family === undefined ? undefined : families.get(request.family);
  const version = request.version ?? (named ?? families.default).versions.default;
  const mapped = options.folders[version];
  const folder = mapped ?? (looksLikeFolder(version) ? version : undefined);
  const family = named ?? families.ofVersion(version) ?? (folder === undefined ? undefined : families.ofFolder(folder)) ?? families.default;
  if (mapped !== undefined) return { family, source: new FolderSource(family, resolve(mapped), `${family.label} ${version} (folder ${resolve(mapped)})`) };
  const hub = hubModelOf(family, version);
  if (hub) return { family, source: new HubSource(hub, options) };
  if (folder !== undefined) return { family, source: new FolderSource(family, resolve(folder), `model folder ${resolve(folder)}`) };
  throw unknownVersionError(family, version);
}

function looksLikeFolder(spec: string): boolean {
  if (isAbsolute(spec) || spec.startsWith(".") || spec.includes("/") || spec.includes("\\")) return true;
  return existsSync(spec) && statSync(spec).isDirectory();
}

class FolderSource implements ModelSource {
  readonly id: string;
  readonly remedy = null;

  constructor(
    private readonly family: ModelFamily,
    readonly folder: string,
    readonly label: string,
  ) {
    this.id = folder;
  }

  async file(name: string): Promise<string> {
    const path = join(this.folder, ...name.split("/"));
    if (await isFile(path)) return path;
    if (!(await isDirectory(this.folder))) throw new ModelError(`${this.label}: the folder does not exist`);
    const holds = [...metadataFiles(this.family), ...towersOf(this.family).map((tower) => `onnx/${tower.graph}*.onnx`)];
    throw new ModelError(
      `${this.label} has no ${name}; a ${this.family.label} model folder in the transformers.js layout holds ` +
        `${holds.slice(0, -1).join(", ")} and ${holds.at(-1)}`,
    );
  }

  async onnx(tower: TowerLayout, dtype: Dtype, config: unknown): Promise<string> {
    const graph = onnxFile(tower.graph, dtype);
    const path = join(this.folder, ...graph.split("/"));
    if (!(await isFile(path))) {
      const present = await readdir(join(this.folder, "onnx")).catch(() => [] as string[]);
      throw new ModelError(`${this.label} has no ${graph} for --dtype ${dtype}; its onnx folder has ${describeOnnxFiles(tower.graph, present)}`);
    }
    for (const data of externalDataFiles(config, graph)) await this.file(data);
    return path;
  }
}

class HubSource implements ModelSource {
  readonly id: string;
  readonly label: string;
  readonly remedy: string;

  constructor(
    private readonly model: HubModel,
    private readonly options: ResolvedModelOptions,
  ) {
    this.id = `hub:${model.repo}`;
    this.label = `${model.family.label} ${model.version} (${model.repo})`;
    this.remedy =
      `Fetch it where the network is reachable with \`sightline models pull ${model.version}\`, ` +
      `download it from another Hugging Face endpoint with --mirror <url> (SIGHTLINE_HF_MIRROR), ` +
      `or map a model folder to it with --model ${model.version}=<folder>`;
  }

  file(name: string): Promise<string> {
    return ensureHubFile(this.model, name, this.options);
  }

  onnx(tower: TowerLayout, dtype: Dtype): Promise<string> {
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
