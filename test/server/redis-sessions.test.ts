/**
 * Sessions in Redis (`serve --redis`) with a real redis-server: two `sightline serve --redis`
 * processes answer one session's requests in turn — and one of them killed and started again
 * between requests — with exactly the outputs of one local stream; and the session rules (409,
 * 429, TTL, DELETE, listing, one request at a time) hold across two replicas on one Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, serialiseResults } from "../../src/index.js";
import { createServer, type SightlineServer } from "../../src/server/index.js";
import { connectRedis, type RedisConnection } from "../../src/service/redis.js";
import { runCli } from "../helpers/cli.js";
import { waitFor } from "../video/helpers.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";
import { call, serverTestRegistry, startServeCli, type Json, type ServeProcess } from "./helpers.js";

/** Model-free stream blocks on embeddings given as inputs: outliers against a window, changes against a moving average. */
const DETECTORS = {
  version: "1.0",
  inputs: [{ type: "WorkflowBatchInput", name: "embedding", kind: ["embedding"] }],
  steps: [
    { type: "roboflow_core/identify_outliers@v1", name: "outliers", embedding: "$inputs.embedding", warmup: 2, window_size: 6 },
    { type: "roboflow_core/identify_changes@v1", name: "changes", embedding: "$inputs.embedding", warmup: 2 },
  ],
  outputs: [
    { type: "JsonField", name: "outlier", selector: "$steps.outliers.is_outlier" },
    { type: "JsonField", name: "percentile", selector: "$steps.outliers.percentile" },
    { type: "JsonField", name: "change", selector: "$steps.changes.is_outlier" },
    { type: "JsonField", name: "z_score", selector: "$steps.changes.z_score" },
    { type: "JsonField", name: "average", selector: "$steps.changes.average" },
  ],
};

/** Frame `i` of camera `camera`: a slowly turning vector, with a jump now and then. */
function embedding(camera: number, i: number): number[] {
  const jump = i % 7 === 5 ? -3 : 1;
  return Array.from({ length: 8 }, (_, d) => jump * Math.cos(0.3 * i + d + camera) + 0.1 * Math.sin(i * d));
}

async function localOutputs(camera: number, frames: number): Promise<unknown[]> {
  const engine = compile(DETECTORS);
  const outputs: unknown[] = [];
  for (let i = 0; i < frames; i++) outputs.push(await serialiseResults(await engine.run({ embedding: [embedding(camera, i)] })));
  return outputs;
}

async function runFrame(base: string, session: string, camera: number, i: number): Promise<unknown> {
  const answer = await call(base, "POST", "/workflows/run", {
    json: { specification: DETECTORS, inputs: { embedding: [embedding(camera, i)] }, session_id: session },
  });
  expect(answer.status, answer.text).toBe(200);
  return (answer.body as Json).outputs;
}

async function stopServe(serve: ServeProcess): Promise<void> {
  if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill("SIGTERM");
  await serve.exited;
}

describe("two `serve --redis` processes on one redis-server", () => {
  let redis: RedisServer;
  const replicas: ServeProcess[] = [];
  const urls: string[] = [];

  const start = async (slot: number) => {
    replicas[slot] = startServeCli(["--redis", redis.url]);
    urls[slot] = await replicas[slot].address;
  };

  beforeAll(async () => {
    redis = await startRedis();
    await Promise.all([start(0), start(1)]);
  });

  afterAll(async () => {
    await Promise.all(replicas.map(stopServe));
    await redis?.stop();
  });

  it("a session alternated between the replicas gives exactly one local stream's outputs, frame by frame", async () => {
    const frames = 14;
    const expected = [await localOutputs(1, frames), await localOutputs(2, frames)];
    // Runs of one and two requests per replica: each replica sometimes holds the latest state and sometimes must load it.
    const order = [0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0];
    for (let i = 0; i < frames; i++) {
      expect(await runFrame(urls[order[i]], "cam-1", 1, i), `cam-1 frame ${i}`).toEqual(expected[0][i]);
      expect(await runFrame(urls[1 - order[i]], "cam-2", 2, i), `cam-2 frame ${i}`).toEqual(expected[1][i]);
    }
    const listed = (await call(urls[0], "GET", "/sessions")).body as { sessions: Json[] };
    expect(listed.sessions.map((session) => [session.session_id, session.runs]).sort()).toEqual([
      ["cam-1", frames],
      ["cam-2", frames],
    ]);
    expect(replicas[0].stderr()).toContain(`sessions in Redis at ${redis.url} (redis `);
  });

  it("a replica killed (SIGKILL) and started again between requests continues the session", async () => {
    const frames = 10;
    const expected = await localOutputs(3, frames);
    for (let i = 0; i < 4; i++) expect(await runFrame(urls[i % 2], "cam-3", 3, i)).toEqual(expected[i]);
    replicas[0].child.kill("SIGKILL");
    await replicas[0].exited;
    await start(0);
    for (let i = 4; i < frames; i++) expect(await runFrame(urls[i < 6 ? 0 : i % 2], "cam-3", 3, i), `frame ${i}`).toEqual(expected[i]);
  });

  it("redis-server killed and restarted between requests: the replicas reconnect, say so, and the session continues", async () => {
    const frames = 8;
    const expected = await localOutputs(4, frames);
    for (let i = 0; i < 4; i++) expect(await runFrame(urls[i % 2], "cam-4", 4, i)).toEqual(expected[i]);
    await redis.kill();
    await redis.restart();
    for (let i = 4; i < frames; i++) expect(await runFrame(urls[i % 2], "cam-4", 4, i), `frame ${i}`).toEqual(expected[i]);
    for (const replica of replicas) {
      await waitFor("the replica to log the reconnection", () => replica.stdout().includes("redis connection back"));
      expect(replica.stdout()).toContain("redis connection lost; reconnecting");
    }
  });
});

describe("`serve --redis` refuses to start without a usable Redis", () => {
  it("a malformed URL is a usage error (exit 2); an unreachable Redis fails the start (exit 1); neither shows the password", async () => {
    const malformed = await runCli(["serve", "--port", "0", "--redis", "redis://:hunter2@cache:6379/cams"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--redis: "redis:\/\/:\*\*\*@cache:6379\/cams": the path must be a database number/);
    const gone = await startRedis();
    await gone.stop();
    const unreachable = await runCli(["serve", "--port", "0"], { env: { SIGHTLINE_REDIS_URL: `redis://:hunter2@127.0.0.1:${gone.port}` } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/RedisError: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(malformed.stderr + unreachable.stderr).not.toContain("hunter2");
  });
});

/** Counts the runs of its session (`test/counter@v1`, one state for the default stream). */
const COUNTING = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [{ type: "test/counter@v1", name: "counter", tick: "$inputs.x" }],
  outputs: [{ type: "JsonField", name: "count", selector: "$steps.counter.count" }],
};
/** Keeps the last three values posted to its session. */
const LAST_THREE = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [{ type: "roboflow_core/buffer@v1", name: "last", data: "$inputs.x", length: 3 }],
  outputs: [{ type: "JsonField", name: "last", selector: "$steps.last.output" }],
};
const ECHO = {
  version: "1.0",
  inputs: [{ type: "WorkflowParameter", name: "x" }],
  steps: [],
  outputs: [{ type: "JsonField", name: "x", selector: "$inputs.x" }],
};

describe("the session rules across two replicas on one Redis", () => {
  let redis: RedisServer;
  let clock = Date.parse("2030-01-01T00:00:00Z");
  const connections: RedisConnection[] = [];
  const servers: SightlineServer[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const connection = await connectRedis(redis.url, { name: `replica-${i}`, prefix: "rules:" });
      const server = createServer({ registry: serverTestRegistry, redis: connection, now: () => clock, sessionTtlMs: 60_000, maxSessions: 3 });
      connections.push(connection);
      servers.push(server);
      urls.push(await server.app.listen({ host: "127.0.0.1", port: 0 }));
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all(connections.map((connection) => connection.close()));
    await redis?.stop();
  });

  const count = async (replica: number, session: string): Promise<unknown> => {
    const answer = await call(urls[replica], "POST", "/workflows/run", { json: { specification: COUNTING, inputs: { x: 1 }, session_id: session } });
    expect(answer.status, answer.text).toBe(200);
    return ((answer.body as Json).outputs as Json[])[0].count;
  };

  it("requests of one session sent to both replicas at once run one at a time: no run is lost", async () => {
    const counts = await Promise.all(Array.from({ length: 12 }, (_, i) => count(i % 2, "busy")));
    expect([...counts].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await count(0, "busy")).toBe(13);
  });

  it("another specification on the other replica → 409, and the session is unchanged", async () => {
    await count(0, "conflict");
    const refused = await call(urls[1], "POST", "/workflows/run", { json: { specification: ECHO, inputs: { x: 1 }, session_id: "conflict" } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error_type: "SessionConflictError", message: expect.stringMatching(/different specification/) });
    expect(await count(1, "conflict")).toBe(2);
  });

  it("are listed, described and shown by either replica; deleted on one, they start over on the other", async () => {
    await count(0, "inspect");
    await count(0, "inspect");
    const listed = (await call(urls[1], "GET", "/sessions")).body as { sessions: Json[] };
    expect(listed.sessions.find((session) => session.session_id === "inspect")).toMatchObject({ runs: 2, in_flight: 0, streams: ["default"] });
    expect((await call(urls[1], "GET", "/sessions/inspect")).body).toMatchObject({ session_id: "inspect", runs: 2 });
    expect(JSON.stringify((await call(urls[1], "GET", "/sessions/inspect/state")).body)).toContain('"count":2');
    expect((await call(urls[1], "DELETE", "/sessions/inspect")).body).toEqual({ status: "deleted", session_id: "inspect" });
    expect((await call(urls[0], "GET", "/sessions/inspect")).status).toBe(404);
    expect((await call(urls[0], "DELETE", "/sessions/inspect")).status).toBe(404);
    // Replica 0 still holds the deleted session's engine; the new session must not continue it.
    expect(await count(0, "inspect")).toBe(1);
  });

  it("a session deleted and created again elsewhere is never continued from the old one's engine, even at the same version", async () => {
    const push = async (replica: number, x: string) => {
      const answer = await call(urls[replica], "POST", "/workflows/run", { json: { specification: LAST_THREE, inputs: { x }, session_id: "reborn" } });
      expect(answer.status, answer.text).toBe(200);
      return ((answer.body as Json).outputs as Json[])[0].last;
    };
    clock += 120_000; // room: the earlier sessions expire
    await push(0, "a");
    expect(await push(0, "b")).toEqual(["b", "a"]); // replica 0 holds this engine, at version 2
    await call(urls[1], "DELETE", "/sessions/reborn");
    await push(1, "c");
    expect(await push(1, "d")).toEqual(["d", "c"]); // the new session, also at version 2
    expect(await push(0, "e")).toEqual(["e", "d", "c"]);
    await call(urls[0], "DELETE", "/sessions/reborn");
  });

  it("expire after the idle TTL on every replica; the maximum counts every replica's sessions (429)", async () => {
    clock += 120_000; // every session so far is idle for longer than the TTL
    expect(((await call(urls[0], "GET", "/sessions")).body as { sessions: unknown[] }).sessions).toEqual([]);
    expect(await count(1, "busy")).toBe(1); // expired: it starts over
    expect(await count(0, "two")).toBe(1);
    expect(await count(1, "three")).toBe(1);
    const full = await call(urls[0], "POST", "/workflows/run", { json: { specification: COUNTING, inputs: { x: 1 }, session_id: "four" } });
    expect(full.status).toBe(429);
    expect(full.body).toMatchObject({ error_type: "TooManyRequestsError", message: expect.stringMatching(/maximum of 3 sessions/) });
    expect(await count(0, "three")).toBe(2); // existing sessions keep working
    await call(urls[1], "DELETE", "/sessions/two");
    expect(await count(0, "four")).toBe(1);
    const metrics = (await call(urls[1], "GET", "/metrics")).text;
    expect(metrics).toMatch(/^sightline_sessions_active 3$/m);
    expect(metrics).toMatch(/^sightline_redis_connected 1$/m);
    expect(metrics).toMatch(/^sightline_redis_round_trip_seconds \d/m);
  });
});
