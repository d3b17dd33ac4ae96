/**
 * `src/service/redis.ts` against a real redis-server: URLs checked and redacted, a clear refusal
 * when Redis is unreachable, refuses the password or is too old, reconnection after a restart with
 * the data kept, and a client BullMQ takes as is for a queue and a worker.
 */
import { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRedisServer, connectRedis, parseRedisUrl, redactRedisUrl, RedisError, type RedisConnection } from "../../src/service/redis.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

describe("Redis URLs", () => {
  it("redact the password, whatever else the URL holds", () => {
    expect(redactRedisUrl("redis://:hunter2@cache:6379/1")).toBe("redis://:***@cache:6379/1");
    expect(redactRedisUrl("rediss://app:hunter2@cache")).toBe("rediss://app:***@cache");
    expect(redactRedisUrl("redis://cache:6379")).toBe("redis://cache:6379");
    expect(redactRedisUrl("redis://app:hunter2@[not a host")).toBe("redis://app:***@[not a host");
  });

  it.each([
    ["cache:6379", /not a Redis URL/],
    ["http://:hunter2@cache:6379", /not a Redis URL \(scheme http:\)/],
    ["redis:///0", /names no host/],
    ["redis://:hunter2@cache:6379/cams", /database number/],
    ["redis://:hunter2@[bad", /is not a URL/],
  ])("refuse %s, saying why and never the password", (url, reason) => {
    let thrown: unknown;
    try {
      parseRedisUrl(url);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RedisError);
    expect((thrown as Error).message).toMatch(reason);
    expect((thrown as Error).message).not.toContain("hunter2");
  });
});

describe("the server's version", () => {
  const info = (lines: string[]) => ["# Server", ...lines, "os:Linux"].join("\r\n");

  it("Redis 6 and later are taken; Redis 5 is refused with what to do", () => {
    expect(checkRedisServer(info(["redis_version:7.0.15", "redis_mode:standalone"]), "redis://r")).toEqual({ server: "redis", version: "7.0.15" });
    expect(checkRedisServer(info(["redis_version:6.0.0"]), "redis://r")).toEqual({ server: "redis", version: "6.0.0" });
    expect(() => checkRedisServer(info(["redis_version:5.0.14"]), "redis://r")).toThrow(/runs Redis 5\.0\.14; sightline needs Redis 6 or later \(or Valkey\)/);
  });

  it("Valkey, which reports its own version fields, is taken", () => {
    const valkey = info(["redis_version:7.2.4", "server_name:valkey", "valkey_version:8.1.1"]);
    expect(checkRedisServer(valkey, "redis://v")).toEqual({ server: "valkey", version: "8.1.1" });
  });

  it("a server that says no version is refused", () => {
    expect(() => checkRedisServer(info(["uptime_in_seconds:3"]), "redis://x")).toThrow(/did not say its version/);
  });
});

describe("connectRedis", () => {
  let connection: RedisConnection;

  beforeAll(async () => {
    connection = await connectRedis(redis.url, { name: "test" });
  });

  afterAll(async () => {
    await connection?.close();
  });

  it("connects, names itself, prefixes keys and measures a round trip", async () => {
    expect(connection.server).toEqual({ server: "redis", version: expect.stringMatching(/^\d+\.\d+/) });
    expect(connection.connected).toBe(true);
    expect(connection.key("session", "{cam-7}")).toBe("sightline:session:{cam-7}");
    await connection.client.set(connection.key("probe"), "1");
    expect(await redis.redisCli(["GET", "sightline:probe"])).toBe("1");
    expect(await redis.redisCli(["CLIENT", "LIST"])).toContain(`name=sightline:test:${process.pid}`);
    expect(await connection.roundTripMs()).toBeGreaterThanOrEqual(0);
  });

  it("takes another prefix", async () => {
    const other = await connectRedis(redis.url, { name: "test", prefix: "site-b:" });
    try {
      expect(other.key("sessions")).toBe("site-b:sessions");
    } finally {
      await other.close();
    }
  });

  it("refuses an unreachable Redis with the redacted URL, the reason and what to do", async () => {
    const gone = await startRedis();
    const url = `redis://:hunter2@127.0.0.1:${gone.port}`;
    await gone.stop();
    const attempt = connectRedis(url, { name: "test" });
    await expect(attempt).rejects.toBeInstanceOf(RedisError);
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).toContain(`cannot reach Redis at redis://:***@127.0.0.1:${gone.port}`);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).toMatch(/Start Redis there, or point --redis at a running one/);
    expect(message).not.toContain("hunter2");
  });

  it("refuses a wrong password without showing it", async () => {
    const guarded = await startRedis();
    try {
      await guarded.redisCli(["CONFIG", "SET", "requirepass", "right-one"]);
      const attempt = connectRedis(`redis://:wrong-one@127.0.0.1:${guarded.port}`, { name: "test" });
      const message = await attempt.then(
        () => "connected",
        (error: Error) => error.message,
      );
      expect(message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@.*WRONGPASS/);
      expect(message).not.toContain("wrong-one");
      const right = await connectRedis(`redis://:right-one@127.0.0.1:${guarded.port}`, { name: "test" });
      expect(right.url).toBe(`redis://:***@127.0.0.1:${guarded.port}`);
      await right.close();
    } finally {
      await guarded.stop();
    }
  });

  it("reconnects after Redis is killed and restarted; the data survives, and the change is told", async () => {
    const statuses: string[] = [];
    const watched = await connectRedis(redis.url, { name: "test", onStatus: (status) => statuses.push(status) });
    try {
      await watched.client.set(watched.key("before-kill"), "kept");
      await redis.kill();
      // Sent while Redis is down: waits for the reconnection instead of failing.
      const pending = watched.client.get(watched.key("before-kill"));
      await redis.restart();
      expect(await pending).toBe("kept");
      expect(statuses).toContain("reconnecting");
      expect(statuses.at(-1)).toBe("ready");
      expect(watched.connected).toBe(true);
    } finally {
      await watched.close();
    }
  });

  it("gives BullMQ a client it takes for a queue and a blocking worker", async () => {
    const prefix = connection.key("bull");
    const queue = new Queue("probe", { connection: connection.client, prefix });
    const done = new Promise<unknown>((resolve) => {
      const worker: Worker = new Worker(
        "probe",
        async (job) => {
          resolve(job.data);
          return "ok";
        },
        { connection: connection.client, prefix },
      );
      worker.on("completed", () => void worker.close());
    });
    await queue.add("frame", { camera: 7 });
    expect(await done).toEqual({ camera: 7 });
    await queue.close();
    expect(Number(await redis.redisCli(["EXISTS", "sightline:bull:probe:id"]))).toBe(1);
  });
});
