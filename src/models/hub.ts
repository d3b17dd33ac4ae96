/**
 * CLIP versions on the Hugging Face hub, and the local cache of their files:
 * `<cacheDir>/<owner>/<repo>/<file>`, the repository's own layout, so a cached repository is
 * itself a model folder. Files are fetched on first use (or by `pullModel`), never again after.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { downloadFile, PARTIAL_SUFFIX } from "./download.js";
import { ModelDownloadError, ModelError, ModelOfflineError } from "./errors.js";
import { CONFIG_FILE, dtypeOfOnnxFile, externalDataFiles, METADATA_FILES, onnxFile, type Tower } from "./layout.js";
import { DTYPES, resolveModelOptions, type Dtype, type ModelOptions, type ResolvedModelOptions } from "./options.js";

/** upstream version name → ONNX export in the transformers.js layout. */
export const CLIP_REPOSITORIES = {
  "ViT-B-32": "Xenova/clip-vit-base-patch32",
  "ViT-B-16": "Xenova/clip-vit-base-patch16",
  "ViT-L-14": "Xenova/clip-vit-large-patch14",
  "ViT-L-14-336px": "Xenova/clip-vit-large-patch14-336",
} as const satisfies Record<string, string>;

export type HubClipVersion = keyof typeof CLIP_REPOSITORIES;

/** Versions upstream accepts for which no ONNX export exists on the hub. */
export const FOLDER_ONLY_VERSIONS = ["RN50", "RN101", "RN50x4", "RN50x16", "RN50x64"] as const;

export const DEFAULT_CLIP_VERSION: HubClipVersion = "ViT-B-32";

/** Every version name upstream's CLIP blocks accept, in upstream's order (spec §6.1). */
export const UPSTREAM_CLIP_VERSIONS = ["RN101", "RN50", "RN50x16", "RN50x4", "RN50x64", "ViT-B-16", "ViT-B-32", "ViT-L-14-336px", "ViT-L-14"] as const;

export interface HubModel {
  readonly version: string;
  readonly repo: string;
}

export function isHubVersion(version: string): version is HubClipVersion {
  return Object.hasOwn(CLIP_REPOSITORIES, version);
}

export function hubModelFor(version: string): HubModel {
  if (isHubVersion(version)) return { version, repo: CLIP_REPOSITORIES[version] };
  throw unknownVersionError(version);
}

/** Why `version` is neither a hub version nor a mapped folder, and what to do instead. */
export function unknownVersionError(version: string): ModelError {
  const supported = Object.keys(CLIP_REPOSITORIES).join(", ");
  const mapHint = `map a model folder to it: --model ${version}=/path/to/folder, SIGHTLINE_MODELS="${version}=/path/to/folder" or the "folders" option`;
  if ((FOLDER_ONLY_VERSIONS as readonly string[]).includes(version)) {
    return new ModelError(
      `CLIP version ${version} has no ONNX export sightline can download; the versions it downloads are ${supported}. ` +
        `To use ${version}, export it in the transformers.js layout and ${mapHint}`,
    );
  }
  return new ModelError(`unknown CLIP version "${version}": use one of ${supported}, a model folder path, or ${mapHint}`);
}

export function cachedRepoDir(cacheDir: string, repo: string): string {
  return join(cacheDir, ...repo.split("/"));
}

export function hubFileUrl(mirror: string, repo: string, file: string): string {
  return `${mirror}/${repo}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}`;
}

type HubOptions = Pick<ResolvedModelOptions, "cacheDir" | "mirror" | "offline" | "onProgress">;

const inflight = new Map<string, Promise<string>>();

/**
 * The local path of one file of a hub model, downloading it if it is not cached. Concurrent
 * requests for the same file share one download.
 */
export async function ensureHubFile(model: HubModel, file: string, options: HubOptions): Promise<string> {
  const destination = join(cachedRepoDir(options.cacheDir, model.repo), ...file.split("/"));
  if (await isFile(destination)) return destination;
  if (options.offline) {
    throw new ModelOfflineError(
      `${file} of CLIP ${model.version} (${model.repo}) is not in the cache (${destination}) and offline mode is on. ` +
        `Fetch it where the network is reachable with \`sightline models pull ${model.version}\` (same --dtype, same cache directory), ` +
        `or map a model folder to ${model.version}.`,
    );
  }
  let pending = inflight.get(destination);
  if (!pending) {
    const url = hubFileUrl(options.mirror, model.repo, file);
    pending = downloadFile(url, destination, { label: `${model.repo}/${file}`, onProgress: options.onProgress })
      .then(() => destination)
      .finally(() => inflight.delete(destination));
    inflight.set(destination, pending);
  }
  return pending;
}

/**
 * The tower's graph for a precision, plus its external data. A precision the repository lacks
 * gets an error listing what it has, when the mirror answers the hub's listing API.
 */
export async function ensureHubOnnx(model: HubModel, tower: Tower, dtype: Dtype, options: HubOptions): Promise<string> {
  const graph = onnxFile(tower, dtype);
  const config: unknown = JSON.parse(await readFile(await ensureHubFile(model, CONFIG_FILE, options), "utf8"));
  let path: string;
  try {
    path = await ensureHubFile(model, graph, options);
  } catch (error) {
    if (error instanceof ModelDownloadError && error.status === 404) {
      const available = await listRemoteFiles(model.repo, "onnx", options.mirror);
      const has = available ? `; it has: ${describeDtypes(tower, available)}` : "";
      throw new ModelError(`${model.repo} has no ${graph}, so CLIP ${model.version} is not available as ${dtype}${has}`);
    }
    throw error;
  }
  for (const data of externalDataFiles(config, graph)) await ensureHubFile(model, data, options);
  return path;
}

function describeDtypes(tower: Tower, files: readonly string[]): string {
  const dtypes = files.map((file) => dtypeOfOnnxFile(tower, file)).filter((dtype): dtype is Dtype => dtype !== null);
  return dtypes.length > 0 ? `--dtype ${[...new Set(dtypes)].join(", ")}` : `no ${tower} model in a precision sightline reads`;
}

/** File paths under `folder` of a hub repository, via the hub's tree API; null if unavailable. */
export async function listRemoteFiles(repo: string, folder: string, mirror: string): Promise<string[] | null> {
  try {
    const response = await fetch(`${mirror}/api/models/${repo}/tree/main/${folder}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return null;
    const entries: unknown = await response.json();
    if (!Array.isArray(entries)) return null;
    return entries
      .map((entry: unknown) => (typeof entry === "object" && entry !== null ? (entry as { path?: unknown }).path : undefined))
      .filter((path): path is string => typeof path === "string");
  } catch {
    return null;
  }
}

export interface PulledFile {
  readonly file: string;
  readonly bytes: number;
}

export interface PullResult {
  readonly version: string;
  /** The hub repository, or null when the version is mapped to a local folder (nothing to fetch). */
  readonly repo: string | null;
  readonly folder: string;
  readonly files: readonly PulledFile[];
}

/**
 * `sightline models pull <version> [--dtype …]`: everything both towers need at one precision,
 * so that later runs work offline.
 */
export async function pullModel(version: string, options: ModelOptions = {}): Promise<PullResult> {
  const resolved = resolveModelOptions(options);
  const mapped = resolved.folders[version];
  if (mapped !== undefined) return { version, repo: null, folder: mapped, files: [] };
  const model = hubModelFor(version);
  const files: PulledFile[] = [];
  for (const file of METADATA_FILES) files.push(await sizeOf(file, await ensureHubFile(model, file, resolved)));
  const config: unknown = JSON.parse(await readFile(join(cachedRepoDir(resolved.cacheDir, model.repo), CONFIG_FILE), "utf8"));
  for (const tower of ["vision", "text"] as const) {
    const graph = onnxFile(tower, resolved.dtype);
    files.push(await sizeOf(graph, await ensureHubOnnx(model, tower, resolved.dtype, resolved)));
    for (const data of externalDataFiles(config, graph)) {
      files.push(await sizeOf(data, join(cachedRepoDir(resolved.cacheDir, model.repo), ...data.split("/"))));
    }
  }
  return { version, repo: model.repo, folder: cachedRepoDir(resolved.cacheDir, model.repo), files };
}

export interface CachedModel {
  readonly repo: string;
  /** The CLIP version this repository serves, or null for another repository in the cache. */
  readonly version: string | null;
  readonly folder: string;
  readonly files: readonly PulledFile[];
  readonly bytes: number;
  /** Precisions whose graphs are cached, per tower. */
  readonly dtypes: Readonly<Record<Tower, readonly Dtype[]>>;
}

/** `sightline models list`: what the cache holds, with sizes. */
export async function listCachedModels(options: ModelOptions = {}): Promise<CachedModel[]> {
  const { cacheDir } = resolveModelOptions(options);
  const models: CachedModel[] = [];
  for (const owner of await subdirectories(cacheDir)) {
    for (const name of await subdirectories(join(cacheDir, owner))) {
      const folder = join(cacheDir, owner, name);
      const files = await filesUnder(folder);
      if (files.length === 0) continue;
      const repo = `${owner}/${name}`;
      const version = Object.entries(CLIP_REPOSITORIES).find(([, r]) => r === repo)?.[0] ?? null;
      const dtypesOf = (tower: Tower): Dtype[] => DTYPES.filter((dtype) => files.some((entry) => entry.file === onnxFile(tower, dtype)));
      models.push({
        repo,
        version,
        folder,
        files,
        bytes: files.reduce((sum, entry) => sum + entry.bytes, 0),
        dtypes: { vision: dtypesOf("vision"), text: dtypesOf("text") },
      });
    }
  }
  return models;
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function filesUnder(folder: string): Promise<PulledFile[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  const files: PulledFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.endsWith(PARTIAL_SUFFIX)) continue;
    const path = join(entry.parentPath, entry.name);
    files.push(await sizeOf(relative(folder, path).split(sep).join("/"), path));
  }
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

async function sizeOf(file: string, path: string): Promise<PulledFile> {
  return { file, bytes: (await stat(path)).size };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
