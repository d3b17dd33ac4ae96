/**
 * `sightline serve`'s option parsers and defaults, apart from the command itself so that the CLI
 * declares its options (and `--help` shows the defaults) without loading the server.
 */
import { InvalidArgumentError } from "commander";
import { DEFAULT_SERVER_OPTIONS } from "../../server/defaults.js";
import { parseAllowedHost } from "../../server/host-check.js";
import { CHECKPOINT_EVERY_TICKS, CHECKPOINT_INTERVAL_MS } from "../../service/defaults.js";

export const MIB = 1024 * 1024;

export function parsePort(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new InvalidArgumentError("expected a port number 0–65535 (0: any free port)");
  return value;
}

export function nonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError("expected an integer >= 0");
  return value;
}

/** `--allowed-hosts a.example,b.example:8080`, repeatable: every entry checked at start. */
export function allowedHostsOption(text: string, previous: string[] = []): string[] {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of entries) {
    try {
      parseAllowedHost(entry);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  }
  return [...previous, ...entries];
}

/** The server's defaults in the CLI's units, for `--help`. */
export const SERVE_DEFAULTS = {
  host: "127.0.0.1",
  port: 9001,
  maxBodyMb: DEFAULT_SERVER_OPTIONS.maxBodyBytes / MIB,
  requestTimeoutS: DEFAULT_SERVER_OPTIONS.requestTimeoutMs / 1000,
  maxConcurrency: DEFAULT_SERVER_OPTIONS.maxConcurrency,
  maxQueue: DEFAULT_SERVER_OPTIONS.maxQueue,
  sessionTtlS: DEFAULT_SERVER_OPTIONS.sessionTtlMs / 1000,
  maxSessions: DEFAULT_SERVER_OPTIONS.maxSessions,
  maxPipelines: DEFAULT_SERVER_OPTIONS.maxPipelines,
  checkpointEvery: CHECKPOINT_EVERY_TICKS,
  checkpointIntervalS: CHECKPOINT_INTERVAL_MS / 1000,
  maxUploadMb: DEFAULT_SERVER_OPTIONS.maxUploadBytes / MIB,
  maxUploads: DEFAULT_SERVER_OPTIONS.maxUploads,
  maxCustomSteps: DEFAULT_SERVER_OPTIONS.maxCustomSteps,
  maxSandboxWorkers: DEFAULT_SERVER_OPTIONS.maxSandboxWorkers,
  /** Pipelines starting, failing and ending are logged at info (errors at error); requests at debug. */
  logLevel: "info",
  maxImagePixels: DEFAULT_SERVER_OPTIONS.maxImagePixels,
  maxAspectRatio: DEFAULT_SERVER_OPTIONS.maxAspectRatio,
  maxImageDownloadMb: DEFAULT_SERVER_OPTIONS.maxImageDownloadBytes / MIB,
  maxImagesPerRequest: DEFAULT_SERVER_OPTIONS.maxImagesPerRequest,
  maxInflightMemoryMb: DEFAULT_SERVER_OPTIONS.maxInflightMemoryBytes / MIB,
} as const;
