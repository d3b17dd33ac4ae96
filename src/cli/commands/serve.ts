/**
 * `sightline serve`: the HTTP server on one host and port until SIGINT/SIGTERM, then a graceful
 * shutdown (pipelines finish their tick and stop, event streams end, uploads are deleted, models
 * are released). The log (JSON lines on stdout, `--log-level`) says when pipelines start, fail
 * and end. With `--redis`, sessions live in Redis (docs/reference/http.md#sessions-with-redis),
 * and so do pipelines, run by `sightline worker` (docs/guides/service.md#redis-and-workers):
 * the connection is opened, and Redis checked, before the server listens.
 */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { createServer } from "../../server/index.js";
import { isLoopbackHost } from "../../server/host-check.js";
import { DataDirError } from "../../service/data-dir-lock.js";
import { EventStoreError, type RetentionLimits } from "../../events/index.js";
import { createServices, type ModelCliOptions } from "../models.js";
import { openRedis } from "../redis.js";
import { MIB } from "./serve-options.js";
import { sinkPolicyOf, type SinkCliOptions } from "../sink-options.js";
import { sinkDirectoriesUnder } from "../../blocks/sinks/policy.js";

export interface ServeOptions extends ModelCliOptions, SinkCliOptions {
  host: string;
  port: number;
  apiKey?: string;
  maxBodyMb: number;
  requestTimeoutS: number;
  maxConcurrency: number;
  maxQueue: number;
  sessionTtlS: number;
  maxSessions: number;
  maxPipelines: number;
  /** Where pipelines are kept (docs/guides/service.md#the-data-folder); undefined: the default folder; false (`--no-data-dir`): memory only. */
  dataDir?: string | false;
  checkpointEvery: number;
  checkpointIntervalS: number;
  /** Undefined: allowed exactly when the host is a loopback address. */
  allowLocalVideo?: boolean;
  /** Host names answered besides the loopback ones (docs/reference/http.md#host-check). */
  allowedHosts?: string[];
  maxUploadMb: number;
  maxUploads: number;
  /** False (`--no-custom-blocks`): refuse definitions with `dynamic_blocks_definitions`. */
  customBlocks: boolean;
  maxCustomSteps: number;
  maxSandboxWorkers: number;
  logLevel: string;
  // Request images (docs/reference/http.md#limits).
  maxImagePixels: number;
  maxAspectRatio: number;
  maxImageDownloadMb: number;
  maxImagesPerRequest: number;
  maxInflightMemoryMb: number;
  /** Redis URL (`--redis`, SIGHTLINE_REDIS_URL): sessions and pipelines live there, shared by every replica. */
  redis?: string;
  /** What the event record keeps (docs/reference/events.md#retention). */
  eventRetention?: RetentionLimits;
  /** Frames kept around each event (docs/reference/events.md#frames-around). */
  eventFramesAround?: number;
}

/** Logs the Redis connection going down and coming back, once per change, in the server's log once there is one. */
class RedisStatusLog {
  log: FastifyBaseLogger | null = null;
  url = "";
  private down = false;

  readonly onStatus = (status: "reconnecting" | "ready", error?: Error): void => {
    if (!this.log || (status === "reconnecting") === this.down) return;
    this.down = status === "reconnecting";
    if (this.down) this.log.warn({ redis: this.url, error: error?.message }, "redis connection lost; reconnecting");
    else this.log.info({ redis: this.url }, "redis connection back");
  };
}

/** The default data folder: `$XDG_STATE_HOME/sightline`, else `~/.local/state/sightline` (the XDG base directory rule). */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const stateHome = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), ".local", "state");
  return join(stateHome, "sightline");
}

export async function serveCommand(options: ServeOptions): Promise<number> {
  const redisLog = new RedisStatusLog();
  const redis = options.redis === undefined ? undefined : await openRedis(options.redis, "serve", redisLog.onStatus);
  // One Services for every request, session and pipeline: each model loads once.
  const services = createServices(options);
  const loopback = isLoopbackHost(options.host);
  const allowLocalVideo = options.allowLocalVideo ?? loopback;
  const dataDir = options.dataDir === false ? undefined : (options.dataDir ?? defaultDataDir());
  const server = createServer({
    services,
    apiKey: options.apiKey ?? null,
    maxBodyBytes: Math.round(options.maxBodyMb * MIB),
    requestTimeoutMs: options.requestTimeoutS * 1000,
    maxConcurrency: options.maxConcurrency,
    maxQueue: options.maxQueue,
    sessionTtlMs: options.sessionTtlS * 1000,
    maxSessions: options.maxSessions,
    maxPipelines: options.maxPipelines,
    dataDir,
    checkpointEveryTicks: options.checkpointEvery,
    checkpointIntervalMs: options.checkpointIntervalS * 1000,
    eventRetention: options.eventRetention,
    eventFramesAround: options.eventFramesAround,
    allowLocalVideo,
    allowedHosts: options.allowedHosts,
    maxUploadBytes: Math.round(options.maxUploadMb * MIB),
    maxUploads: options.maxUploads,
    ...(options.customBlocks ? {} : { dynamicBlocks: null }),
    maxCustomSteps: options.maxCustomSteps,
    maxSandboxWorkers: options.maxSandboxWorkers,
    logger: { level: options.logLevel },
    maxImagePixels: options.maxImagePixels,
    maxAspectRatio: options.maxAspectRatio,
    maxImageDownloadBytes: Math.round(options.maxImageDownloadMb * MIB),
    maxImagesPerRequest: options.maxImagesPerRequest,
    maxInflightMemoryBytes: Math.round(options.maxInflightMemoryMb * MIB),
    redis,
    sinks: sinkPolicyOf(options, { allowedHosts: [], sinkDirectories: sinkDirectoriesUnder(dataDir) }),
  });
  if (redis) {
    redisLog.log = server.app.log;
    redisLog.url = redis.url;
  }

  let address: string;
  try {
    address = await server.app.listen({ host: options.host, port: options.port });
  } catch (error) {
    // The data folder is opened (and its pipelines resumed) before the server listens.
    const problem =
      error instanceof DataDirError || error instanceof EventStoreError
        ? error.message
        : `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`;
    process.stderr.write(`sightline: ${problem}\n`);
    await server.close();
    await services.close();
    await redis?.close();
    return 1;
  }
  process.stderr.write(`sightline: serving workflows on ${address}\n`);
  if (redis)
    process.stderr.write(
      `sightline: sessions in Redis at ${redis.url} (${redis.server.server} ${redis.server.version}), pipelines too (run by sightline worker)\n`,
    );
  else process.stderr.write(dataDir ? `sightline: pipelines kept in ${dataDir}\n` : "sightline: pipelines kept in memory only (--no-data-dir)\n");
  if (!loopback && !options.apiKey) {
    process.stderr.write("sightline: warning: listening beyond this machine without an API key (set --api-key or SIGHTLINE_API_KEY)\n");
  }
  if (allowLocalVideo && !loopback) {
    process.stderr.write("sightline: warning: --allow-local-video lets clients open files and cameras of this machine as pipeline sources\n");
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.stderr.write(
    dataDir
      ? `sightline: ${signal} — checkpointing pipelines (they resume at the next start) and closing\n`
      : `sightline: ${signal} — stopping pipelines and closing\n`,
  );
  await server.close();
  await services.close();
  await redis?.close();
  return 0;
}
