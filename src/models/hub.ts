/**
 * Model versions on the Hugging Face hub (each family declares its own), and the local cache of
 * their files: `<cacheDir>/<owner>/<repo>/<file>`, the repository's own layout, so a cached
 * repository is itself a model folder. Files are fetched on first use (or by `pullModel`), never
 * again after.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { downloadFile, PARTIAL_SUFFIX } from "./download.js";
import { ModelDownloadError, ModelError, ModelOfflineError } from "./errors.js";
import type { ModelFamily, TowerLayout } from "./family.js";
import { CONFIG_FILE, dtypeOfOnnxFile, externalDataFiles, metadataFiles, onnxFile, towersOf } from "./layout.js";
import { DTYPES, resolveModelOptions, type Dtype, type ModelOptions, type ResolvedModelOptions } from "./options.js";

export interface HubModel {
  readonly family: ModelFamily;
  readonly version: string;
  readonly repo: string;
}

/** The hub repository of one of the family's versions, if it has one. */
export function hubModelOf(family: ModelFamily, version: string): HubModel | undefined {
  return Object.hasOwn(family.versions.hub, version) ? { family, version, repo: family.versions.hub[version] } : undefined;
}

/** Why `version` is neither a hub version of the family nor a mapped folder, and what to do instead. */
export function unknownVersionError(family: ModelFamily, version: string): ModelError {
  const supported = Object.keys(family.versions.hub).join(", ");
  const mapHint = `map a model folder to it: --model ${version}=/path/to/folder, SIGHTLINE_MODELS="${version}=/path/to/folder" or the "folders" option`;
  if (family.versions.folderOnly.includes(version)) {
    return new ModelError(
      `${family.label} version ${version} has no ONNX export sightline can download; the versions it downloads are ${supported}. ` +
        `To use ${version}, export it in the transformers.js layout and ${mapHint}`,
    );
  }
  return new ModelError(`unknown ${family.label} version "${version}": use one of ${supported}, a model folder path, or ${mapHint}`);
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
      `${file} of ${model.family.label} ${model.version} (${model.repo}) is not in the cache (${destination}) and offline mode is on. ` +
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
export async function ensureHubOnnx(model: HubModel, tower: TowerLayout, dtype: Dtype, options: HubOptions): Promise<string> {
  const graph = onnxFile(tower.graph, dtype);
  const config: unknown = JSON.parse(await readFile(await ensureHubFile(model, CONFIG_FILE, options), "utf8"));
  let path: string;
  try {
    path = await ensureHubFile(model, graph, options);
  } catch (error) {
    if (error instanceof ModelDownloadError && error.status === 404) {
      const available = await listRemoteFiles(model.repo, "onnx", options.mirror);
      const has = available ? `; it has: ${describeDtypes(tower, available)}` : "";
      throw new ModelError(`${model.repo} has no ${graph}, so ${model.family.label} ${model.version} is not available as ${dtype}${has}`);
    }
    throw error;
  }
  for (const data of externalDataFiles(config, graph)) await ensureHubFile(model, data, options);
  return path;
}

function describeDtypes(tower: TowerLayout, files: readonly string[]): string {
  const dtypes = files.map((file) => dtypeOfOnnxFile(tower.graph, file)).filter((dtype): dtype is Dtype => dtype !== null);
  return dtypes.length > 0 ? `--dtype ${[...new Set(dtypes)].join(", ")}` : `no ${tower.name} model in a precision sightline reads`;
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
  /** The family's id, or null for a mapped folder that is no family's. */
  readonly family: string | null;
  /** The hub repository, or null when the version is mapped to a local folder (nothing to fetch). */
  readonly repo: string | null;
  readonly folder: string;
  readonly files: readonly PulledFile[];
}

/**
 * `sightline models pull <version> [--dtype …]`: everything every tower of the version's family
 * needs at one precision, so that later runs work offline.
 */
export async function pullModel(version: string, options: ModelOptions = {}): Promise<PullResult> {
  const resolved = resolveModelOptions(options);
  const mapped = resolved.folders[version];
  if (mapped !== undefined) {
    const family = resolved.families.ofVersion(version) ?? resolved.families.ofFolder(mapped);
    return { version, family: family?.id ?? null, repo: null, folder: mapped, files: [] };
  }
  const family = resolved.families.ofVersion(version) ?? resolved.families.default;
  const model = hubModelOf(family, version);
  if (!model) throw unknownVersionError(family, version);
  const folder = cachedRepoDir(resolved.cacheDir, model.repo);
  const files: PulledFile[] = [];
  for (const file of metadataFiles(family)) files.push(await sizeOf(file, await ensureHubFile(model, file, resolved)));
  const config: unknown = JSON.parse(await readFile(join(folder, CONFIG_FILE), "utf8"));
  for (const tower of towersOf(family)) {
    const graph = onnxFile(tower.graph, resolved.dtype);
    files.push(await sizeOf(graph, await ensureHubOnnx(model, tower, resolved.dtype, resolved)));
    for (const data of externalDataFiles(config, graph)) files.push(await sizeOf(data, join(folder, ...data.split("/"))));
  }
  return { version, family: family.id, repo: model.repo, folder, files };
}

export interface CachedModel {
  readonly repo: string;
  /** The id of the family the repository's version or config.json names, or null for another repository. */
  readonly family: string | null;
  /** The version this repository serves, or null for a repository that is no family's version. */
  readonly version: string | null;
  readonly folder: string;
  readonly files: readonly PulledFile[];
  readonly bytes: number;
  /** Precisions whose graphs are cached, per tower of the family (none when the family is unknown). */
  readonly dtypes: Readonly<Record<string, readonly Dtype[]>>;
}

/** `sightline models list`: what the cache holds, with sizes. */
export async function listCachedModels(options: ModelOptions = {}): Promise<CachedModel[]> {
  const { cacheDir, families } = resolveModelOptions(options);
  const models: CachedModel[] = [];
  for (const owner of await subdirectories(cacheDir)) {
    for (const name of await subdirectories(join(cacheDir, owner))) {
      const folder = join(cacheDir, owner, name);
      const files = await filesUnder(folder);
      if (files.length === 0) continue;
      const repo = `${owner}/${name}`;
      const served = families.ofRepository(repo);
      const family = served?.family ?? families.ofFolder(folder);
      const dtypesOf = (tower: TowerLayout): Dtype[] => DTYPES.filter((dtype) => files.some((entry) => entry.file === onnxFile(tower.graph, dtype)));
      models.push({
        repo,
        family: family?.id ?? null,
        version: served?.version ?? null,
        folder,
        files,
        bytes: files.reduce((sum, entry) => sum + entry.bytes, 0),
        dtypes: Object.fromEntries((family ? towersOf(family) : []).map((tower) => [tower.name, dtypesOf(tower)])),
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
