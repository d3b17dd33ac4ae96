/**
 * The server's default limits (`createServer`'s options), in a module of their own so that the
 * CLI can show them in `--help` without loading Fastify and everything the server serves.
 */
import { DEFAULT_MAX_CUSTOM_STEPS } from "../compiler/index.js";
import { DEFAULT_IMAGE_LIMITS } from "../images/codec.js";
import { DEFAULT_MAX_SANDBOX_WORKERS } from "../blocks/custom/dynamic-block.js";

export const DEFAULT_SERVER_OPTIONS = {
  maxBodyBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 60_000,
  maxConcurrency: 8,
  maxQueue: 64,
  sessionTtlMs: 10 * 60_000,
  maxSessions: 64,
  maxPipelines: 8,
  pipelineResultsBuffer: 256,
  maxUploadBytes: 1024 * 1024 * 1024,
  maxUploads: 16,
  sseStatusIntervalMs: 1000,
  sseHeartbeatMs: 15_000,
  maxCustomSteps: DEFAULT_MAX_CUSTOM_STEPS,
  maxSandboxWorkers: DEFAULT_MAX_SANDBOX_WORKERS,
  maxImagePixels: DEFAULT_IMAGE_LIMITS.maxImagePixels,
  maxAspectRatio: DEFAULT_IMAGE_LIMITS.maxAspectRatio,
  maxImageDownloadBytes: DEFAULT_IMAGE_LIMITS.maxBytes,
  /** Upstream's clients send a few images per request (its CLIP embeds at most 8 at once); 64 leaves room for batches of video frames. */
  maxImagesPerRequest: 64,
  /** Four 40-megapixel images at once by the estimate (about 250 MB each), or some eighty 1080p frames. */
  maxInflightMemoryBytes: 1024 * 1024 * 1024,
} as const;
