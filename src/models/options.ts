/**
 * Configuration of the model layer: library options first, then environment variables, then
 * defaults. Every value is checked here once, so a bad `SIGHTLINE_THREADS` fails with a message
 * naming the variable instead of deep inside ONNX Runtime.
 */
import { availableParallelism, homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import type { DownloadProgress } from "./download.js";
import { ModelError } from "./errors.js";
import type { ModelFamily } from "./family.js";
import { MODEL_FAMILIES, type BuiltInFamilyOptions } from "./families/index.js";
import { FamilyRegistry } from "./registry.js";

export const DTYPES = ["fp32", "fp16", "int8", "uint8", "q8"] as const;
/** Weight precision; picks `onnx/<graph><suffix>.onnx` (q8 = transformers.js "quantized"). */
export type Dtype = (typeof DTYPES)[number];

export const WORKLOADS = ["latency", "throughput"] as const;
export type Workload = (typeof WORKLOADS)[number];

export const EXECUTION_PROVIDERS = ["cpu", "cuda"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Library options, then each family's own (e.g. CLIP's `comparisonVersion`). */
export interface ModelOptions extends Partial<BuiltInFamilyOptions> {
  /**
   * The model families to know, the first being the default; default `MODEL_FAMILIES`. Add one
   * with `[...MODEL_FAMILIES, myFamily]`. A library option: not accepted in `settings.models`.
   */
  families?: readonly ModelFamily[];
  /** Model folders standing in for versions, e.g. `{ "ViT-B-32": "/models/clip-b32" }`. */
  folders?: Readonly<Record<string, string>>;
  dtype?: Dtype;
  /** Where downloaded models live; default `~/.cache/sightline/models`. */
  cacheDir?: string;
  /** Hugging Face endpoint; files come from `<mirror>/<repo>/resolve/main/<file>`. */
  mirror?: string;
  /** Never touch the network; a missing file is an error that says how to fetch it. */
  offline?: boolean;
  /** CPU threads for inference in all, shared out between the inference workers; default: the CPUs this process may use. */
  threads?: number;
  /**
   * Inferences that run side by side, each in its own worker thread with its own sessions and
   * `threads / inferenceWorkers` intra-op threads; each worker holds its own copy of the
   * weights. Default from `workload`.
   */
  inferenceWorkers?: number;
  /**
   * What the default of `inferenceWorkers` is tuned for. `"latency"` (default): one worker with
   * every thread — the fastest single inference, for one image at a time. `"throughput"`: two
   * workers (on two or more CPU threads, not with CUDA) — more images per second while several
   * inferences are wanted at once (video files read ahead, batches, busy servers), but each
   * single-image inference is slower (BENCHMARKS.md).
   */
  workload?: Workload;
  executionProvider?: ExecutionProvider;
  /** Largest batch handed to one inference; bigger requests are split. */
  maxBatchSize?: number;
  /** Text embeddings kept in the LRU cache. */
  textCacheSize?: number;
  /** Download progress, e.g. `createProgressBar()` (null when stderr is not a terminal). */
  onProgress?: ((progress: DownloadProgress) => void) | null;
}

export interface ResolvedModelOptions extends BuiltInFamilyOptions {
  families: FamilyRegistry;
  folders: Readonly<Record<string, string>>;
  dtype: Dtype;
  cacheDir: string;
  mirror: string;
  offline: boolean;
  threads: number;
  inferenceWorkers: number;
  executionProvider: ExecutionProvider;
  maxBatchSize: number;
  textCacheSize: number;
  onProgress: ((progress: DownloadProgress) => void) | null;
}

export const DEFAULT_MIRROR = "https://huggingface.co";
export const DEFAULT_MAX_BATCH_SIZE = 16;
export const DEFAULT_TEXT_CACHE_SIZE = 1024;

export function defaultCacheDir(): string {
  return join(homedir(), ".cache", "sightline", "models");
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveModelOptions(options: ModelOptions = {}, env: Env = process.env): ResolvedModelOptions {
  const envFolders = env.SIGHTLINE_MODELS ? parseModelFolders(env.SIGHTLINE_MODELS, "SIGHTLINE_MODELS") : {};
  const threads = options.threads ?? (env.SIGHTLINE_THREADS ? positiveInteger(env.SIGHTLINE_THREADS, "SIGHTLINE_THREADS") : availableParallelism());
  const executionProvider = options.executionProvider ?? executionProviderFrom(env.SIGHTLINE_EXECUTION_PROVIDER);
  const inferenceWorkers =
    options.inferenceWorkers ??
    (env.SIGHTLINE_INFERENCE_WORKERS
      ? positiveInteger(env.SIGHTLINE_INFERENCE_WORKERS, "SIGHTLINE_INFERENCE_WORKERS")
      : options.workload === "throughput" && executionProvider !== "cuda"
        ? Math.min(2, threads)
        : 1);
  const families = new FamilyRegistry(options.families ?? MODEL_FAMILIES);
  return {
    // Typed for the built-in families (the registry checks each value); a family added at run time reads its own by name.
    ...(families.resolveOptions(options, env) as unknown as BuiltInFamilyOptions),
    families,
    folders: { ...envFolders, ...(options.folders ?? {}) },
    dtype: options.dtype ?? "fp32",
    cacheDir: resolve(options.cacheDir ?? env.SIGHTLINE_CACHE_DIR ?? defaultCacheDir()),
    mirror: (options.mirror ?? env.SIGHTLINE_HF_MIRROR ?? env.HF_ENDPOINT ?? DEFAULT_MIRROR).replace(/\/+$/, ""),
    offline: options.offline ?? (envFlag(env, "SIGHTLINE_OFFLINE") || envFlag(env, "HF_HUB_OFFLINE")),
    threads,
    inferenceWorkers,
    executionProvider,
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    textCacheSize: options.textCacheSize ?? DEFAULT_TEXT_CACHE_SIZE,
    onProgress: options.onProgress ?? null,
  };
}

/** `"ViT-B-32=/models/a,ViT-B-16=/models/b"` → `{ "ViT-B-32": "/models/a", ... }`. */
export function parseModelFolders(text: string, origin = "model mapping"): Record<string, string> {
  const folders: Record<string, string> = {};
  for (const entry of text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)) {
    const [version, folder] = splitModelMapping(entry, origin);
    folders[version] = folder;
  }
  return folders;
}

/** One `version=/path/to/folder` pair (the CLI's `--model` takes the same form). */
export function splitModelMapping(entry: string, origin = "model mapping"): [version: string, folder: string] {
  const at = entry.indexOf("=");
  const version = entry.slice(0, at).trim();
  const folder = entry.slice(at + 1).trim();
  if (at <= 0 || folder.length === 0) {
    throw new ModelError(`${origin}: "${entry}" is not of the form <version>=<folder>, e.g. ViT-B-32=/models/clip`);
  }
  return [version, folder];
}

function envFlag(env: Env, name: string): boolean {
  const value = env[name]?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false" && value !== "no";
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new ModelError(`${name} must be a positive integer, got "${text}"`);
  return value;
}

function executionProviderFrom(text: string | undefined): ExecutionProvider {
  if (text === undefined || text.trim() === "") return "cpu";
  const value = text.trim().toLowerCase();
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(value)) {
    throw new ModelError(`SIGHTLINE_EXECUTION_PROVIDER must be one of ${EXECUTION_PROVIDERS.join(", ")}, got "${text}"`);
  }
  return value as ExecutionProvider;
}

const settingsSchema = z
  .object({
    ...Object.fromEntries(new FamilyRegistry(MODEL_FAMILIES).options().map(([name, option]) => [name, option.schema.optional()])),
    folders: z.record(z.string(), z.string()).optional(),
    dtype: z.enum(DTYPES).optional(),
    cacheDir: z.string().optional(),
    mirror: z.url().optional(),
    offline: z.boolean().optional(),
    threads: z.number().int().positive().optional(),
    inferenceWorkers: z.number().int().positive().optional(),
    workload: z.enum(WORKLOADS).optional(),
    executionProvider: z.enum(EXECUTION_PROVIDERS).optional(),
    maxBatchSize: z.number().int().positive().optional(),
    textCacheSize: z.number().int().nonnegative().optional(),
    onProgress: z
      .custom<(progress: DownloadProgress) => void>((value) => typeof value === "function")
      .nullable()
      .optional(),
  })
  .strict();

/**
 * The model options carried in `Services.settings.models` (what the CLI, the server and library
 * callers put there), checked so that a typo in a key is reported rather than ignored.
 */
export function optionsFrom(settings: Readonly<Record<string, unknown>>): ModelOptions {
  if (settings.models === undefined) return {};
  const parsed = settingsSchema.safeParse(settings.models);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelError(`settings.models${issue.path.map((key) => `.${String(key)}`).join("")}: ${issue.message}`);
  }
  return parsed.data;
}
