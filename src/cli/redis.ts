/** The Redis connection of `serve --redis`, `worker` and `run --redis`. */
import { connectRedis, parseRedisUrl, RedisError, type RedisConnection, type RedisConnectOptions } from "../service/redis.js";
import { UsageError } from "./failure.js";

/** `--redis` (`serve`, `worker`, `run`): a malformed URL is a usage error (exit 2); an unreachable or too old Redis fails the start (exit 1). */
export async function openRedis(url: string, name: string, onStatus?: RedisConnectOptions["onStatus"]): Promise<RedisConnection> {
  try {
    parseRedisUrl(url);
  } catch (error) {
    if (error instanceof RedisError) throw new UsageError(`--redis: ${error.message}`);
    throw error;
  }
  return connectRedis(url, { name, onStatus });
}
