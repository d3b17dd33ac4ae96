/**
 * `RedisPipelineStore` against a real redis-server, in this process: results stored once per
 * source and frame number whatever is sent again, a capped stream whose unconsumed overflow is
 * dropped and counted, one consume cursor, checkpoints written with the results they cover, and
 * writes fenced by the lease.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, type RedisConnection } from "../../src/service/redis.js";
import { RedisPipelineStore } from "../../src/service/redis-store.js";
import type { Checkpoint, PipelineRecord } from "../../src/service/types.js";
import type { FrameRecord } from "../../src/video/index.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

let redis: RedisServer;
let connection: RedisConnection;
let store: RedisPipelineStore;

beforeAll(async () => {
  redis = await startRedis();
  connection = await connectRedis(redis.url, { name: "test" });
  store = new RedisPipelineStore(connection.client, connection.prefix);
});

afterAll(async () => {
  await connection?.close();
  await redis?.stop();
});

let pipelines = 0;

async function pipeline(bufferSize = 100): Promise<string> {
  const record: PipelineRecord = {
    id: `p${++pipelines}`,
    created_at: new Date().toISOString(),
    spec: {
      specification: {},
      videos: [{ reference: "a.mp4" }, { reference: "b.mp4" }],
      params: {},
      imageInputName: "image",
      videoMetadataInputName: "video_metadata",
      bufferSize,
    },
    desired: "running",
  };
  await store.create(record);
  return record.id;
}

function frames(source: number, from: number, to: number): FrameRecord[] {
  return Array.from({ length: to - from + 1 }, (_, index) => ({
    source: String(source),
    source_index: source,
    frame_number: from + index,
    frame_timestamp: "2026-01-01T00:00:00+00:00",
    outputs: { n: from + index, secret: "x" },
    flagged: false,
  }));
}

const numbers = (records: readonly FrameRecord[]) => records.map((record) => `${record.source_index}:${record.frame_number}`);

describe("results", () => {
  it("are stored once per source and frame number: frames sent again (a takeover re-running them) are dropped", async () => {
    const id = await pipeline();
    await store.appendResults(id, [...frames(0, 1, 5), ...frames(1, 1, 2)]);
    await store.appendResults(id, [...frames(0, 3, 7), ...frames(1, 2, 3)]);
    expect(await store.lastFrames(id)).toEqual({ 0: 7, 1: 3 });
    const consumed = await store.consume(id, ["secret"]);
    expect(numbers(consumed.frames)).toEqual(["0:1", "0:2", "0:3", "0:4", "0:5", "1:1", "1:2", "0:6", "0:7", "1:3"]);
    expect(consumed.frames[0].outputs).toEqual({ n: 1 });
    expect(consumed.dropped).toBe(0);
  });

  it("are consumed once, from any client: the cursor moves on", async () => {
    const id = await pipeline();
    await store.appendResults(id, frames(0, 1, 3));
    const other = new RedisPipelineStore(connection.client.duplicate(), connection.prefix);
    expect(numbers((await other.consume(id)).frames)).toEqual(["0:1", "0:2", "0:3"]);
    expect((await store.consume(id)).frames).toEqual([]);
    await store.appendResults(id, frames(0, 4, 4));
    expect(numbers((await store.consume(id)).frames)).toEqual(["0:4"]);
    expect(await store.resultCounts(id)).toEqual({ buffered: 0, dropped: 0 });
    other.redis.disconnect();
  });

  it("beyond the buffer size, the oldest unconsumed are dropped and counted; consumed ones are not counted", async () => {
    const id = await pipeline(4);
    await store.appendResults(id, frames(0, 1, 2));
    await store.consume(id);
    await store.appendResults(id, frames(0, 3, 12));
    expect(await store.resultCounts(id)).toEqual({ buffered: 4, dropped: 6 });
    const consumed = await store.consume(id);
    expect(numbers(consumed.frames)).toEqual(["0:9", "0:10", "0:11", "0:12"]);
    expect(consumed.dropped).toBe(6);
    expect((await store.consume(id)).dropped).toBe(0);
    expect(await store.resultCounts(id)).toEqual({ buffered: 0, dropped: 6 });
  });
});

describe("commits", () => {
  const checkpoint: Checkpoint = {
    taken_at: "2026-01-01T00:00:01.000Z",
    engine: { format: "sightline-state", version: 1, definition_hash: "h", scope: "stream", taken_at: "t", runs: 3, steps: {}, shared: {}, streams: {} },
    positions: [3, null],
    counts: { ticks: 3, frames: 3, flagged: 0, errors: 0 },
    elapsed_s: 0.1,
    source_events: [],
  };

  it("write the checkpoint with the results it covers, and its summary (no block state) beside the record", async () => {
    const id = await pipeline();
    const outcome = await store.commit(id, { records: frames(0, 1, 3).map((record) => ({ record })), checkpoint });
    expect(outcome).toEqual({ written: true, tally: { appended: 3, consumed: 0, dropped: 0 } });
    expect(await store.loadCheckpoint(id)).toEqual(checkpoint);
    const { engine: _engine, ...summary } = checkpoint;
    expect(await store.checkpointSummaries([id])).toEqual([summary]);
  });

  it("are refused, whole, unless the writer's token holds the lease; and once the pipeline is gone", async () => {
    const id = await pipeline();
    const lease = store.keys.lease(id);
    expect(await store.commit(id, { records: frames(0, 1, 1).map((record) => ({ record })), checkpoint }, { token: "mine" })).toEqual({
      written: false,
      reason: "lease lost",
    });
    await connection.client.set(lease, "theirs");
    expect(await store.commit(id, { checkpoint }, { token: "mine" })).toEqual({ written: false, reason: "lease lost" });
    expect(await store.loadCheckpoint(id)).toBeUndefined();
    expect(await store.lastFrames(id)).toEqual({});

    await connection.client.set(lease, "mine");
    expect(await store.commit(id, { records: frames(0, 1, 1).map((record) => ({ record })) }, { token: "mine" })).toMatchObject({ written: true });
    await store.remove(id);
    expect(await store.commit(id, { records: frames(0, 2, 2).map((record) => ({ record })) }, { token: "mine" })).toEqual({ written: false, reason: "gone" });
    expect(await connection.client.exists(store.keys.results(id), store.keys.frames(id), store.keys.cursor(id))).toBe(0);
  });
});
