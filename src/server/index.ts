/**
 * The HTTP server (`sightline serve`): upstream's workflow routes
 * (docs/reference/http.md#workflow-routes), its CLIP routes and `/info`, stateful sessions, stream
 * pipelines with live events, uploads, and Prometheus metrics — one fastify app on one shared
 * `Services`, so every request, session and pipeline uses the same loaded models.
 *
 * ```ts
 * const server = createServer({ apiKey: "secret" });
 * await server.app.listen({ host: "127.0.0.1", port: 9001 });
 * // …
 * await server.close(); // stops pipelines, ends event streams, deletes uploads
 * ```
 *
 * Every failure answers with upstream's error body (`toErrorBody`,
 * docs/reference/errors.md#the-error-body) and status (`httpStatusOf`) — the router's and Node's
 * parser's refusals too (`client-errors.ts`); a block that throws fails its request with 500 and
 * never the process. Before anything else, a server listening on loopback checks that a request
 * is for one of its own host names (`host-check.ts`), then the API key is checked before the body
 * is read (`auth.ts`, `json-body.ts`).
 *
 * GET requests may carry a JSON body, as upstream's server reads them: Roboflow's Python SDK
 * sends `api_key` (and `excluded_fields`) that way to list pipelines, read their status and
 * consume their results.
 */
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { BlockRegistry } from "../block-api/index.js";
import { Services } from "../block-api/index.js";
import { provideSandboxPool } from "../blocks/custom/dynamic-block.js";
import { sinkDirectoriesUnder, type SinkPolicy } from "../blocks/sinks/policy.js";
import { provideSinkPolicy } from "../blocks/sinks/service.js";
import type { DynamicBlockFactory } from "../compiler/index.js";
import { httpStatusOf, toErrorBody, WorkflowError } from "../errors/index.js";
import { EventStore, type RetentionLimits } from "../events/index.js";
import { getDefaultRegistry } from "../index.js";
import { checkApiKeyBeforeBody, exemptFromApiKey, requireApiKey } from "./auth.js";
import { answerParserError, MAX_PARAM_LENGTH, routerError } from "./client-errors.js";
import { registerClipRoutes } from "./clip.js";
import { registerEventRoutes } from "./events.js";
import type { ServerContext, ServerLimits } from "./context.js";
import { EngineFactory } from "./engines.js";
import { HttpError, notFound, withoutEmptyInner } from "./errors.js";
import { installHostCheck, parseAllowedHost } from "./host-check.js";
import { registerHostedModelRoutes } from "./hosted-models.js";
import { registerInfoRoute } from "./info.js";
import { installJsonParser } from "./json-body.js";
import { ConcurrencyLimiter, MemoryBudget } from "./limits.js";
import { registerMetricsRoutes, ServerMetrics } from "./metrics.js";
import { LocalPipelineService } from "../service/local-service.js";
import { FilePipelineStore } from "../service/file-store.js";
import { MemoryPipelineStore } from "../service/memory-store.js";
import { RedisPipelineService } from "../service/redis-service.js";
import type { EngineMaker, PipelineService } from "../service/types.js";
import { registerPipelineRoutes } from "./pipelines.js";
import { ImageAdmission } from "./request-images.js";
import { SessionStore } from "./session-store.js";
import { MemorySessionBackend } from "../service/memory-sessions.js";
import type { RedisConnection } from "../service/redis.js";
import { RedisSessionBackend } from "../service/redis-sessions.js";
import type { SessionBackendOptions } from "../service/sessions.js";
import { registerSessionRoutes } from "./sessions.js";
import { UploadStore } from "./upload-store.js";
import { registerUiRoutes } from "./ui.js";
import { registerUploadRoutes } from "./uploads.js";
import { registerWorkflowRoutes } from "./workflows.js";
import { FileWorkflowStore, MemoryWorkflowStore, registerWorkflowStoreRoutes } from "./workflow-store.js";
import { DEFAULT_SERVER_OPTIONS } from "./defaults.js";

export { DEFAULT_SERVER_OPTIONS };

export interface ServerOptions {
  /** Blocks to serve; default the core blocks. */
  registry?: BlockRegistry;
  /** Builds blocks from `dynamic_blocks_definitions`; default the library's (JavaScript in a sandbox); null refuses them. */
  dynamicBlocks?: DynamicBlockFactory | null;
  /** Shared by every engine. Given: the caller closes it. Default: created here and closed by `close()`. */
  services?: Services;
  /** Required from clients when set (Bearer header, body `api_key` or `?api_key=`). */
  apiKey?: string | null;
  /**
   * Host names (`name` or `name:port`) answered besides the loopback ones; on a server listening
   * beyond loopback, giving any turns the Host check on (docs/reference/http.md#host-check).
   */
  allowedHosts?: readonly string[];
  /** Largest JSON body, bytes (default 32 MiB). */
  maxBodyBytes?: number;
  /** A workflow run taking longer is aborted and answered with 504 (default 60 s). */
  requestTimeoutMs?: number;
  /** Workflow runs at once (default 8) … */
  maxConcurrency?: number;
  /** … and waiting for a slot (default 64); beyond that, 429. */
  maxQueue?: number;
  /** A session idle this long is dropped (default 10 min). */
  sessionTtlMs?: number;
  /** Sessions held at most (default 64); a new one beyond that gets 429. */
  maxSessions?: number;
  /** Pipelines held at most (default 8). */
  maxPipelines?: number;
  /**
   * Keeps pipelines in this folder, so that they survive restarts and crashes: created if
   * missing, locked to this server and read when the server gets ready, every pipeline in it
   * resumed right after (docs/guides/service.md#the-data-folder). Default none: pipelines live
   * in memory, as long as the server.
   */
  dataDir?: string;
  /**
   * How long and how much of the pipelines' flagged frames the event record keeps (default 30
   * days, 2 GiB; docs/reference/events.md#retention). The record is `<dataDir>/events`; without
   * a data folder, a private temporary folder deleted on close; with `redis`, none.
   */
  eventRetention?: RetentionLimits;
  /** Sampled frames kept before and after each event (default 2; 0: none; docs/reference/events.md#frames-around). */
  eventFramesAround?: number;
  /** A running pipeline is checkpointed every this many ticks (default 100) … */
  checkpointEveryTicks?: number;
  /** … or this often, ms (default 10 s), whichever comes first; and when paused or stopped. */
  checkpointIntervalMs?: number;
  /** Frame results a pipeline keeps for `consume` (default and maximum, default 256). */
  pipelineResultsBuffer?: number;
  /** Whether pipelines may open server-side paths and devices (default false; see `video-references.ts`). */
  allowLocalVideo?: boolean;
  /** Largest upload, bytes (default 1 GiB), and uploads held at most (default 16). */
  maxUploadBytes?: number;
  maxUploads?: number;
  /** Parent folder of the uploads' temporary folder (default the OS temporary folder). */
  uploadDir?: string;
  /** fastify's logger option (default off). At info: pipelines starting, failing and ending; at debug: every request. */
  logger?: FastifyServerOptions["logger"];
  /**
   * An open Redis connection (`connectRedis`): sessions then live in Redis, so every replica on it
   * answers every session (docs/reference/http.md#sessions-with-redis), and stream pipelines are
   * created and controlled through it, run by `sightline worker` processes, any replica answering
   * for any pipeline (docs/guides/service.md#redis-and-workers; `maxPipelines` then counts the
   * cluster's). The caller closes it.
   */
  redis?: RedisConnection;
  /**
   * What sink blocks may reach (docs/reference/blocks.md#sink-policy); default no outbound host
   * and files only under `<dataDir>/sinks` (none without `dataDir`). Installed on `services`.
   */
  sinks?: SinkPolicy;
  /** Clock for session expiry (tests). */
  now?: () => number;
  /** SSE status-event interval and heartbeat interval, ms (defaults 1 s and 15 s). */
  sseStatusIntervalMs?: number;
  sseHeartbeatMs?: number;
  /** The built web UI served at `/` (default `dist/ui` of this package; see `ui.ts`). */
  uiDir?: string;
  /** Steps of custom blocks a definition may have (default 32); more: 400 `DynamicBlockError`. */
  maxCustomSteps?: number;
  /**
   * Threads running custom blocks' code, for every request, session and pipeline (default 4):
   * the sandbox pool of `services`, replaced by one of this size when set.
   */
  maxSandboxWorkers?: number;
  // Request images (docs/reference/http.md#limits), all checked before any image is decoded.
  /** Largest image, width × height from its header (default 40 000 000); beyond: 400. */
  maxImagePixels?: number;
  /** Largest ratio of an image's long side to its short side (default 100); beyond: 400. */
  maxAspectRatio?: number;
  /** Largest image downloaded from a URL, bytes (default 64 MiB); the download stops there: 400. */
  maxImageDownloadBytes?: number;
  /** Images in one request, every input and field together (default 64); beyond: 413. */
  maxImagesPerRequest?: number;
  /** What the requests in flight may hold in images at once, bytes (default 1 GiB); beyond: 429, or 413 for a request that never fits. */
  maxInflightMemoryBytes?: number;
}

export interface SightlineServer {
  app: FastifyInstance;
  /**
   * Stops pipelines (finishing their current tick; with a data folder, checkpointed to resume at
   * the next start, and the folder unlocked), ends event streams, closes the listener, deletes
   * uploads. Idempotent.
   */
  close(): Promise<void>;
}

export function createServer(options: ServerOptions = {}): SightlineServer {
  const defaults = DEFAULT_SERVER_OPTIONS;
  const limits: ServerLimits = {
    apiKey: options.apiKey || null,
    maxBodyBytes: options.maxBodyBytes ?? defaults.maxBodyBytes,
    requestTimeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    allowLocalVideo: options.allowLocalVideo ?? false,
    pipelineResultsBuffer: options.pipelineResultsBuffer ?? defaults.pipelineResultsBuffer,
    sseStatusIntervalMs: options.sseStatusIntervalMs ?? defaults.sseStatusIntervalMs,
    sseHeartbeatMs: options.sseHeartbeatMs ?? defaults.sseHeartbeatMs,
  };
  const allowedHosts = (options.allowedHosts ?? []).map(parseAllowedHost);
  const services = options.services ?? new Services();
  if (options.maxSandboxWorkers !== undefined) provideSandboxPool(services, options.maxSandboxWorkers);
  provideSinkPolicy(services, options.sinks ?? { disabled: false, allowedHosts: [], sinkDirectories: sinkDirectoriesUnder(options.dataDir) });
  const app = Fastify({
    bodyLimit: limits.maxBodyBytes,
    logger: options.logger ?? false,
    logController: new RequestLogController(),
    // Session ids may be 128 characters long, more than fastify's default path-parameter limit.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, request, reply) => {
      void sendError(routerError(error, request.url) ?? error, request, reply, limits);
    },
    clientErrorHandler: answerParserError,
  });
  const imageLoading = {
    allowLocalFiles: false,
    allowUrls: true,
    maxBytes: options.maxImageDownloadBytes ?? defaults.maxImageDownloadBytes,
    maxImagePixels: options.maxImagePixels ?? defaults.maxImagePixels,
    maxAspectRatio: options.maxAspectRatio ?? defaults.maxAspectRatio,
  };
  const engines = new EngineFactory(
    options.registry ?? getDefaultRegistry(),
    options.dynamicBlocks,
    services,
    imageLoading,
    options.maxCustomSteps ?? defaults.maxCustomSteps,
  );
  const metrics = new ServerMetrics();
  const sessionTtlMs = options.sessionTtlMs ?? defaults.sessionTtlMs;
  const sessionOptions: SessionBackendOptions = {
    ttlMs: sessionTtlMs,
    maxSessions: options.maxSessions ?? defaults.maxSessions,
    createEngine: (specification, snapshot) => engines.engine(specification, { snapshot }),
    now: options.now,
  };
  const redis = options.redis ?? null;
  // With Redis, pipelines run on `sightline worker` processes and the data folder is not used.
  const pipelineEngines: EngineMaker = (specification, snapshot) => engines.engine(specification, { isolateElementErrors: true, snapshot });
  const maxPipelines = options.maxPipelines ?? defaults.maxPipelines;
  const dataDir = !options.redis && options.dataDir ? new FilePipelineStore(options.dataDir, app.log) : null;
  const eventsDir = options.dataDir ? join(options.dataDir, "events") : join(tmpdir(), `sightline-events-${randomUUID()}`);
  const events = redis ? null : new EventStore(eventsDir, { retention: options.eventRetention, framesAround: options.eventFramesAround, log: app.log });
  let local: LocalPipelineService | null = null;
  const pipelines: PipelineService = options.redis
    ? new RedisPipelineService({ redis: options.redis, engines: pipelineEngines, maxPipelines, log: app.log })
    : (local = new LocalPipelineService({
        store: dataDir ?? new MemoryPipelineStore(),
        durable: dataDir !== null,
        engines: pipelineEngines,
        maxPipelines,
        onFrameError: (error) => metrics.countStepError(error, "pipeline"),
        log: app.log,
        checkpointEveryTicks: options.checkpointEveryTicks,
        checkpointIntervalMs: options.checkpointIntervalMs,
        events: events ?? undefined,
      }));
  const context: ServerContext = {
    limits,
    engines,
    metrics,
    runs: new ConcurrencyLimiter(options.maxConcurrency ?? defaults.maxConcurrency, options.maxQueue ?? defaults.maxQueue),
    images: new ImageAdmission({ loading: imageLoading, maxImagesPerRequest: options.maxImagesPerRequest ?? defaults.maxImagesPerRequest }),
    memory: new MemoryBudget(options.maxInflightMemoryBytes ?? defaults.maxInflightMemoryBytes),
    redis,
    sessions: new SessionStore(redis ? new RedisSessionBackend({ ...sessionOptions, redis }) : new MemorySessionBackend(sessionOptions), sessionOptions),
    pipelines,
    events,
    uploads: new UploadStore({
      maxBytes: options.maxUploadBytes ?? defaults.maxUploadBytes,
      maxCount: options.maxUploads ?? defaults.maxUploads,
      parentDir: options.uploadDir,
    }),
  };

  // Before any route is registered: routes take the body handling their method has then.
  app.addHttpMethod("GET", { hasBody: true, overrideExisting: true });
  installJsonParser(app, limits.apiKey);
  installErrorHandling(app, limits);
  // First of all hooks: a request for a foreign host gets nothing else (docs/reference/http.md#host-check).
  installHostCheck(app, allowedHosts);
  if (limits.apiKey !== null) {
    const key = limits.apiKey;
    // Twice: from the head, before the body is read (the JSON parser looks for a body's key in its
    // raw text); then on the parsed request (docs/reference/http.md#authentication).
    app.addHook("onRequest", async (request) => checkApiKeyBeforeBody(key, request));
    app.addHook("preHandler", async (request) => {
      if (!exemptFromApiKey(request)) requireApiKey(key, request);
    });
  }
  app.addHook("onResponse", async (request, reply) => {
    metrics.countRequest(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode);
  });

  registerUiRoutes(app, { dir: options.uiDir }); // before the API routes, whose paths it must not shadow
  registerInfoRoute(app);
  registerWorkflowRoutes(app, context);
  registerClipRoutes(app, context);
  registerHostedModelRoutes(app);
  registerSessionRoutes(app, context);
  registerPipelineRoutes(app, context);
  registerUploadRoutes(app, context);
  registerEventRoutes(app, context);
  registerMetricsRoutes(app, context);
  // Saved workflows in the data folder (docs/reference/http.md#saved-workflows); with Redis or none, in memory.
  registerWorkflowStoreRoutes(app, dataDir ? new FileWorkflowStore(dataDir.dir) : new MemoryWorkflowStore());

  // Abandoned sessions go even when nobody asks about sessions.
  const sweeper = setInterval(() => context.sessions.sweep(), Math.min(sessionTtlMs, 60_000));
  sweeper.unref();
  // Events older than the retention go even when no pipeline flags anything.
  const eventSweeper = setInterval(
    () => void events?.trim().catch((error: Error) => app.log.warn({ reason: error.message }, "event retention failed")),
    60_000,
  );
  eventSweeper.unref();
  // Before the first request: the folder is locked and read (a folder in use fails `listen`), then
  // the events in it; its pipelines then resume in the background, `starting` until each runs.
  app.addHook("onReady", async () => {
    await dataDir?.open();
    await events?.open();
    await local?.resumeAll();
  });
  // Before the listener closes: event streams are open requests that would keep it waiting.
  app.addHook("preClose", async () => {
    await context.pipelines.close();
    await events?.close();
    if (events && !dataDir) await rm(eventsDir, { recursive: true, force: true });
  });

  let closing: Promise<void> | null = null;
  return {
    app,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        clearInterval(eventSweeper);
        await app.close();
        await context.sessions.clear();
        await context.uploads.close();
        if (!options.services) await services.close();
      })();
      return closing;
    },
  };
}

/** Pipelines in this process on the memory store, or — with `redis` — on workers through Redis. */
/**
 * Requests are logged once, at debug, by path: at info the log is about pipelines, and a query
 * string may hold `api_key`.
 */
class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    request.log.debug({ method: request.method, path: request.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  }
}

interface FastifyHttpError {
  statusCode: number;
  code?: string;
  message: string;
}

function isFastifyHttpError(error: unknown): error is FastifyHttpError {
  return error instanceof Error && typeof (error as Partial<FastifyHttpError>).statusCode === "number";
}

/** Turns anything thrown into upstream's error body with the matching status. */
function errorResponse(
  error: unknown,
  limits: Pick<ServerLimits, "maxBodyBytes">,
): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  if (error instanceof HttpError) return { status: error.httpStatus, body: withoutEmptyInner(error.toBody()), headers: { ...error.headers } };
  if (error instanceof WorkflowError) return { status: httpStatusOf(error), body: withoutEmptyInner(toErrorBody(error)), headers: {} };
  if (isFastifyHttpError(error) && error.statusCode >= 400 && error.statusCode < 500) {
    return errorResponse(fastifyClientError(error, limits.maxBodyBytes), limits);
  }
  return { status: 500, body: withoutEmptyInner(toErrorBody(error)), headers: {} };
}

function fastifyClientError(error: FastifyHttpError, maxBodyBytes: number): HttpError {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HttpError(413, "PayloadTooLargeError", `The request body is larger than the server's limit of ${maxBodyBytes} bytes (--max-body-mb).`, {
        context: "request_parsing",
      });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new HttpError(415, "UnsupportedMediaTypeError", "Send JSON with Content-Type: application/json.", { context: "request_parsing" });
    default:
      return new HttpError(error.statusCode, "BadRequestError", error.message, { context: "request_parsing" });
  }
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, limits: Pick<ServerLimits, "maxBodyBytes">): FastifyReply {
  const { status, body, headers } = errorResponse(error, limits);
  if (status >= 500 && !(error instanceof WorkflowError)) request.log.error({ err: error }, "unexpected error");
  return reply.status(status).headers(headers).send(body);
}

function installErrorHandling(app: FastifyInstance, limits: ServerLimits): void {
  app.setErrorHandler(async (error, request, reply) => sendError(error, request, reply, limits));
  app.setNotFoundHandler(async (request) => {
    throw notFound(`No route ${request.method} ${request.url.split("?")[0]}. See GET /workflows/blocks/describe, POST /workflows/run, /inference_pipelines/…`);
  });
}

export type { ServerContext, ServerLimits } from "./context.js";
export type { PipelineEvent, PipelineSpec } from "../service/types.js";
export type { FrameEvent, FrameRecord, PipelineReport, StatusEvent, UploadInfo, WorkflowExample } from "./wire.js";
export type { SessionInfo } from "./session-store.js";
export { connectRedis, redactRedisUrl, RedisError, type RedisConnection, type RedisConnectOptions } from "../service/redis.js";
export type { WorkflowInterface } from "./interface.js";
export type { SinkPolicy } from "../blocks/sinks/policy.js";
