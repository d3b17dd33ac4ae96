/**
 * Connections to Redis for pipelines (docs/guides/service.md#redis-and-workers): the control
 * plane's fail fast when Redis is unreachable (its clients get a 503 and retry), a worker's wait
 * through an outage (its pipelines go on; ioredis reconnects with backoff).
 */
import { Redis } from "ioredis";

/** Every key sightline keeps in Redis starts with this. */
export const DEFAULT_REDIS_PREFIX = "sightline:";

/** Reconnection delays: 50 ms more per attempt, at most 2 s. */
function backoff(attempt: number): number {
  return Math.min(attempt * 50, 2000);
}

/** The control plane's: a command meeting an outage fails after one reconnection attempt. */
export function connectControlPlane(url: string): Redis {
  return new Redis(url, { connectionName: "sightline-serve", maxRetriesPerRequest: 1, retryStrategy: backoff });
}

/** A worker's: commands wait for the connection to come back (as BullMQ requires of a worker's connection). */
export function connectWorker(url: string): Redis {
  return new Redis(url, { connectionName: "sightline-worker", maxRetriesPerRequest: null, retryStrategy: backoff });
}

/** The URL without its password, for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}
