/** What the route groups share: the resolved options and the server's long-lived parts. */
import type { EventStore } from "../events/index.js";
import type { PipelineService } from "../service/types.js";
import type { EngineFactory } from "./engines.js";
import type { ConcurrencyLimiter, MemoryBudget } from "./limits.js";
import type { ServerMetrics } from "./metrics.js";
import type { ImageAdmission } from "./request-images.js";
import type { RedisConnection } from "../service/redis.js";
import type { SessionStore } from "./session-store.js";
import type { UploadStore } from "./upload-store.js";

export interface ServerLimits {
  apiKey: string | null;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  allowLocalVideo: boolean;
  /** Default (and largest) number of frame results a pipeline keeps for `consume`. */
  pipelineResultsBuffer: number;
  /** Interval of SSE `status` events and heartbeats, ms. */
  sseStatusIntervalMs: number;
  sseHeartbeatMs: number;
}

export interface ServerContext {
  limits: ServerLimits;
  engines: EngineFactory;
  runs: ConcurrencyLimiter;
  /** Request images: their count, limits and memory, before decoding (docs/reference/http.md#limits). */
  images: ImageAdmission;
  memory: MemoryBudget;
  /** The Redis connection of `serve --redis` (sessions, pipelines), else null. */
  redis: RedisConnection | null;
  sessions: SessionStore;
  pipelines: PipelineService;
  uploads: UploadStore;
  metrics: ServerMetrics;
  /** Where the pipelines' flagged frames are kept (docs/reference/events.md); null with Redis (workers keep none). */
  events: EventStore | null;
}
