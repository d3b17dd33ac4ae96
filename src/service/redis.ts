/**
 * The one place sightline opens Redis connections (`serve --redis`, `worker --redis`, `run --redis`):
 *
 * ```ts
 * const redis = await connectRedis("redis://:secret@cache:6379/0", { name: "serve" });
 * await redis.client.set(redis.key("probe"), "1"); // "sightline:probe"
 * new Queue("pipelines", { connection: redis.client, prefix: redis.key("bull") }); // BullMQ takes the client as is
 * await redis.close();
 * ```
 *
 * - The URL is checked first (`redis://` or `rediss://`, a host, a numeric database), then one
 *   connection attempt is made: failing that, or finding Redis older than 6, `connectRedis`
 *   rejects with a `RedisError` saying the redacted URL, what failed and what to do. Start-up
 *   waits for nothing: an orchestrator restarts a process that started too early.
 * - Once connected, a lost connection is retried forever with capped exponential backoff, and
 *   commands wait for it (`maxRetriesPerRequest: null`) — what BullMQ requires of the connection a
 *   Worker blocks on; BullMQ also refuses a client with ioredis' `keyPrefix`, so keys are
 *   prefixed here (`key()`, default `sightline:`) and BullMQ gets its own `prefix` option.
 * - A password never appears in a message, log or status: `redactRedisUrl`.
 */
import { Redis } from "ioredis";
import { WorkflowError } from "../errors/index.js";

export const DEFAULT_REDIS_PREFIX = "sightline:";
/** First retry after a lost connection, ms; each next one waits twice as long, up to `maxBackoffMs`. */
const FIRST_RETRY_MS = 50;
const DEFAULT_MAX_BACKOFF_MS = 2000;
const MINIMUM_REDIS_MAJOR = 6;
const ROUND_TRIP_LIMIT_MS = 5000;
const URL_FORM = "redis://[user:password@]host[:port][/db] (rediss:// for TLS)";

/** Redis could not be used: a malformed URL, an unreachable or too old server, or (sessions) state that could not be saved. */
export class RedisError extends WorkflowError {
  override readonly errorType = "RedisError";
  override readonly httpStatus = 503;
}

export interface RedisConnectOptions {
  /** Who connects (`serve`, `worker`, …): the connection's name in Redis' `CLIENT LIST` is `sightline:<name>:<pid>`. */
  name: string;
  /** Prefix of every key sightline writes (default `sightline:`): several deployments may share one Redis. */
  prefix?: string;
  /** Longest wait between reconnection attempts, ms (default 2000). */
  maxBackoffMs?: number;
  /** Told when the connection drops (with the error, when there is one) and when it is ready again. */
  onStatus?: (status: "reconnecting" | "ready", error?: Error) => void;
}

export interface RedisServerInfo {
  /** `redis` or `valkey` (which reports its own version fields). */
  server: "redis" | "valkey";
  version: string;
}

export interface RedisConnection {
  /** The ioredis client: commands wait through reconnections; hand it to BullMQ as `connection`. */
  readonly client: Redis;
  /** The URL with its password replaced by `***`. */
  readonly url: string;
  readonly prefix: string;
  readonly server: RedisServerInfo;
  /** Whether the connection is up now (commands sent while it is not wait for it). */
  readonly connected: boolean;
  /** `prefix` + the parts joined by `:`. */
  key(...parts: string[]): string;
  /** One PING's round trip, ms; null while disconnected or when no answer came within 5 s. */
  roundTripMs(): Promise<number | null>;
  /** Quits (or drops the connection when it is down). */
  close(): Promise<void>;
}

/** The URL with its password (if any) replaced by `***`; also for text that is not a valid URL. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^/@]*?):[^/@]*@/, "//$1:***@");
  }
}

/** Checks the form of a Redis URL; a `RedisError` says what is wrong (with the password redacted). */
export function parseRedisUrl(url: string): URL {
  const shown = redactRedisUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisError(`"${shown}" is not a URL: expected ${URL_FORM}.`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new RedisError(`"${shown}" is not a Redis URL (scheme ${parsed.protocol}): expected ${URL_FORM}.`);
  }
  if (parsed.hostname === "") throw new RedisError(`"${shown}" names no host: expected ${URL_FORM}.`);
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) {
    throw new RedisError(`"${shown}": the path must be a database number (e.g. /0), not "${parsed.pathname}".`);
  }
  return parsed;
}

/**
 * The server's kind and version from `INFO server`; refuses Redis older than 6. Valkey (every
 * release is ≥ Redis 7.2's protocol) is accepted whatever its version.
 */
export function checkRedisServer(info: string, url: string): RedisServerInfo {
  const fields = new Map(
    info
      .split(/\r?\n/)
      .map((line) => line.split(":"))
      .filter((pair) => pair.length >= 2)
      .map(([name, ...value]) => [name.trim(), value.join(":").trim()]),
  );
  const valkey = fields.get("valkey_version");
  if (valkey !== undefined || fields.get("server_name")?.toLowerCase() === "valkey") {
    return { server: "valkey", version: valkey ?? fields.get("redis_version") ?? "unknown" };
  }
  const version = fields.get("redis_version");
  if (version === undefined) throw new RedisError(`${url} did not say its version (no redis_version in INFO server): is it Redis?`);
  const major = Number(version.split(".")[0]);
  if (!(major >= MINIMUM_REDIS_MAJOR)) {
    throw new RedisError(`${url} runs Redis ${version}; sightline needs Redis ${MINIMUM_REDIS_MAJOR} or later (or Valkey). Upgrade the server.`);
  }
  return { server: "redis", version };
}

/** Opens a connection and checks the server (see the file's header); the caller closes it. */
export async function connectRedis(url: string, options: RedisConnectOptions): Promise<RedisConnection> {
  parseRedisUrl(url);
  const shown = redactRedisUrl(url);
  const maxBackoffMs = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const client = new Redis(url, {
    lazyConnect: true,
    connectionName: `sightline:${options.name}:${process.pid}`,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), maxBackoffMs),
  });
  let lastError: Error | undefined;
  // Always listened to: ioredis prints unhandled connection errors to the console otherwise.
  client.on("error", (error: Error) => (lastError = error));
  try {
    await firstConnection(client);
  } catch {
    client.disconnect();
    const reason = lastError?.message ?? "the connection closed";
    throw new RedisError(`cannot reach Redis at ${shown}: ${reason}. Start Redis there, or point --redis at a running one.`);
  }
  let server: RedisServerInfo;
  try {
    server = checkRedisServer(await client.info("server"), shown);
  } catch (error) {
    client.disconnect();
    throw error instanceof RedisError ? error : new RedisError(`Redis at ${shown} refused INFO server: ${(error as Error).message}`);
  }
  client.on("reconnecting", () => options.onStatus?.("reconnecting", lastError));
  client.on("ready", () => options.onStatus?.("ready"));
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  return {
    client,
    url: shown,
    prefix,
    server,
    get connected() {
      return client.status === "ready";
    },
    key: (...parts) => prefix + parts.join(":"),
    async roundTripMs() {
      if (client.status !== "ready") return null;
      const started = performance.now();
      // A connection that drops meanwhile would hold the PING until it is back: give up instead.
      let giveUp: NodeJS.Timeout | undefined;
      const answered = await Promise.race([
        client.ping().then(() => true),
        new Promise<false>((resolve) => (giveUp = setTimeout(() => resolve(false), ROUND_TRIP_LIMIT_MS))),
      ]);
      clearTimeout(giveUp);
      return answered ? performance.now() - started : null;
    },
    async close() {
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

/** Resolves when the first connection is ready; rejects when it closes first (the error event says why). */
function firstConnection(client: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    const ready = () => {
      client.off("close", closed);
      resolve();
    };
    const closed = () => {
      client.off("ready", ready);
      reject(new Error("closed"));
    };
    client.once("ready", ready);
    client.once("close", closed);
    client.connect().catch(() => undefined);
  });
}
