/**
 * The `PipelineStore` on Redis (docs/guides/service.md#redis-and-workers): what every replica of
 * `sightline serve --redis` and every `sightline worker` share about a pipeline.
 *
 * - the record: a hash (`id`, `created_at`, `spec` as JSON, `desired`), listed in a sorted set by
 *   creation time;
 * - the checkpoint: JSON in a string, and a summary of it (no block state) in the record hash,
 *   for reports and `/metrics` that must not load the block state;
 * - the frame results: a capped stream (`XADD … MAXLEN bufferSize`) whose entry ids are
 *   `0-<n>`, n counting the results ever stored, so that the consume cursor, the results still
 *   buffered and those dropped unconsumed are plain arithmetic on n; a hash of each source's
 *   highest stored frame number makes appends idempotent (frames run again after a takeover are
 *   not stored twice);
 * - the final report: JSON in a string.
 *
 * Writes from a worker go through `commit`: results, checkpoint and final report in one Lua call,
 * so that a checkpoint never lands without the results it covers, fenced by the worker's lease
 * (the BullMQ job lock): a worker that lost its pipeline to another cannot write over it.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { FrameRecord } from "../video/index.js";
import { withoutFields } from "./results-buffer.js";
import type { Checkpoint, Consumed, DesiredState, PipelineRecord, PipelineSpec, PipelineStore } from "./types.js";
import type { PipelineReport } from "./upstream-report.js";

/** The names of every key sightline keeps in Redis, under one prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Sorted set: pipeline id by creation time (ms). */
  get pipelines(): string {
    return `${this.prefix}pipelines`;
  }
  /** Hash: the record, the owner, the checkpoint's summary, the last takeover. */
  pipeline(id: string): string {
    return `${this.prefix}pipeline:${id}`;
  }
  checkpoint(id: string): string {
    return `${this.prefix}pipeline:${id}:checkpoint`;
  }
  /** Stream of frame results, entry ids `0-<n>`. */
  results(id: string): string {
    return `${this.prefix}pipeline:${id}:results`;
  }
  /** Hash: source index → highest frame number stored. */
  frames(id: string): string {
    return `${this.prefix}pipeline:${id}:frames`;
  }
  /** Hash: `appended` (results ever stored), `consumed` (the cursor), `dropped`, `dropped_reported`. */
  cursor(id: string): string {
    return `${this.prefix}pipeline:${id}:cursor`;
  }
  report(id: string): string {
    return `${this.prefix}pipeline:${id}:report`;
  }
  /** The owner's latest status report, expiring with its lease. */
  status(id: string): string {
    return `${this.prefix}pipeline:${id}:status`;
  }
  /** Sorted set: worker id by its last heartbeat (ms). */
  get workers(): string {
    return `${this.prefix}workers`;
  }
  /** A worker's heartbeat: its load and health, expiring with its lease. */
  worker(id: string): string {
    return `${this.prefix}worker:${id}`;
  }
  /** Counter: pipelines taken over from a worker that did not hand them over. */
  get takeovers(): string {
    return `${this.prefix}takeovers`;
  }
  /** Pub/sub channel of desired-state changes. */
  get control(): string {
    return `${this.prefix}control`;
  }
  /** BullMQ's own prefix: its keys live under `<prefix>bull:pipelines:…`. */
  get bullPrefix(): string {
    return `${this.prefix}bull`;
  }
  /** The lock of a pipeline's job: the lease (BullMQ's key layout: `<bull prefix>:<queue>:<job id>:lock`). */
  lease(id: string): string {
    return `${this.bullPrefix}:${PIPELINE_QUEUE}:${id}:lock`;
  }
}

/** The BullMQ queue of pipelines: one job per pipeline, its id the pipeline's. */
export const PIPELINE_QUEUE = "pipelines";

/** A Lua script run by its SHA1, and sent again when Redis does not know it (after a restart). */
export class LuaScript {
  private readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Results, checkpoint and final report, in one step. Fenced: nothing is written unless the
 * lease key holds the writer's token (-1), nor once the pipeline is gone (-2). Returns
 * `{appended, consumed, dropped}` after the write.
 */
const COMMIT = new LuaScript(`
local record, frames, cursor, results, checkpoint, report, lease = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local token = ARGV[1]
if token ~= "" and redis.call("GET", lease) ~= token then return {-1} end
local cap = tonumber(redis.call("HGET", record, "buffer_size"))
if not cap then return {-2} end
local appended = tonumber(redis.call("HGET", cursor, "appended") or "0")
local consumed = tonumber(redis.call("HGET", cursor, "consumed") or "0")
local dropped = 0
for i = 5, #ARGV, 4 do
  local frame = tonumber(ARGV[i + 1])
  local last = tonumber(redis.call("HGET", frames, ARGV[i]) or "-1")
  if frame > last then
    redis.call("HSET", frames, ARGV[i], ARGV[i + 1])
    appended = appended + 1
    local id = string.format("0-%d", appended)
    if ARGV[i + 3] == "" then
      redis.call("XADD", results, "MAXLEN", cap, id, "r", ARGV[i + 2])
    else
      redis.call("XADD", results, "MAXLEN", cap, id, "r", ARGV[i + 2], "t", ARGV[i + 3])
    end
    -- the entry trimmed by this one, appended - cap, had not been consumed
    if appended - cap > consumed then dropped = dropped + 1 end
  end
end
redis.call("HSET", cursor, "appended", string.format("%d", appended))
if dropped > 0 then redis.call("HINCRBY", cursor, "dropped", dropped) end
if ARGV[2] ~= "" then
  redis.call("SET", checkpoint, ARGV[2])
  redis.call("HSET", record, "checkpoint_summary", ARGV[3])
end
if ARGV[4] ~= "" then redis.call("SET", report, ARGV[4]) end
return {appended, consumed, tonumber(redis.call("HGET", cursor, "dropped") or "0")}
`);

/** Takes every result after the cursor and moves the cursor to the last one: `{dropped since the last consume, entries}`. */
const CONSUME = new LuaScript(`
local cursor, results = KEYS[1], KEYS[2]
local appended = tonumber(redis.call("HGET", cursor, "appended") or "0")
local consumed = tonumber(redis.call("HGET", cursor, "consumed") or "0")
local dropped = tonumber(redis.call("HGET", cursor, "dropped") or "0")
local reported = tonumber(redis.call("HGET", cursor, "dropped_reported") or "0")
local entries = {}
if appended > consumed then
  entries = redis.call("XRANGE", results, string.format("0-%d", consumed + 1), "+")
end
redis.call("HSET", cursor, "consumed", string.format("%d", appended), "dropped_reported", string.format("%d", dropped))
return {dropped - reported, entries}
`);

/** Sets hash fields of a pipeline that still exists (a terminated one is not brought back). */
const SET_IF_EXISTS = new LuaScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
redis.call("HSET", KEYS[1], unpack(ARGV))
return 1
`);

/** What a commit writes; every part optional. */
export interface Commit {
  records?: ReadonlyArray<{ record: FrameRecord; thumbnail?: string }>;
  checkpoint?: Checkpoint;
  finalReport?: PipelineReport;
}

/** Whose writes are accepted: the holder of the pipeline's lease. */
export interface Fence {
  token: string;
}

export interface ResultTally {
  appended: number;
  consumed: number;
  dropped: number;
}

export type CommitOutcome = { written: true; tally: ResultTally } | { written: false; reason: "lease lost" | "gone" };

/** A checkpoint without its block state: what reports and `/metrics` need of it. */
export type CheckpointSummary = Omit<Checkpoint, "engine">;

/** A stream entry as ioredis answers it: `[id, [field, value, …]]`. */
type StreamEntry = [string, string[]];

export class RedisPipelineStore implements PipelineStore {
  readonly keys: RedisKeys;

  constructor(
    readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new RedisKeys(prefix);
  }

  async create(record: PipelineRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.pipeline(record.id), {
        id: record.id,
        created_at: record.created_at,
        spec: JSON.stringify(record.spec),
        desired: record.desired,
        buffer_size: record.spec.bufferSize,
      })
      .zadd(this.keys.pipelines, Date.parse(record.created_at), record.id)
      .exec();
  }

  async get(id: string): Promise<PipelineRecord | undefined> {
    const [spec, createdAt, desired] = await this.redis.hmget(this.keys.pipeline(id), "spec", "created_at", "desired");
    return parseRecord(id, spec, createdAt, desired);
  }

  async ids(): Promise<string[]> {
    return this.redis.zrange(this.keys.pipelines, 0, -1);
  }

  async list(): Promise<PipelineRecord[]> {
    const ids = await this.ids();
    if (ids.length === 0) return [];
    const batch = this.redis.pipeline();
    for (const id of ids) batch.hmget(this.keys.pipeline(id), "spec", "created_at", "desired");
    const answers = (await batch.exec()) ?? [];
    return ids.flatMap((id, index) => {
      const [error, fields] = answers[index] ?? [];
      if (error) throw error;
      const [spec, createdAt, desired] = fields as Array<string | null>;
      return parseRecord(id, spec, createdAt, desired) ?? [];
    });
  }

  async setDesired(id: string, desired: DesiredState): Promise<void> {
    await this.setFields(id, { desired });
  }

  /** Sets fields of the record's hash, if the pipeline still exists. */
  async setFields(id: string, fields: Record<string, string>): Promise<boolean> {
    const args = Object.entries(fields).flat();
    return (await SET_IF_EXISTS.run(this.redis, [this.keys.pipeline(id)], args)) === 1;
  }

  async field(id: string, name: string): Promise<string | null> {
    return this.redis.hget(this.keys.pipeline(id), name);
  }

  async remove(id: string): Promise<void> {
    const keys = this.keys;
    await this.redis
      .multi()
      .del(keys.pipeline(id), keys.checkpoint(id), keys.results(id), keys.frames(id), keys.cursor(id), keys.report(id), keys.status(id))
      .zrem(keys.pipelines, id)
      .exec();
  }

  async saveCheckpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    await this.commit(id, { checkpoint });
  }

  async loadCheckpoint(id: string): Promise<Checkpoint | undefined> {
    const text = await this.redis.get(this.keys.checkpoint(id));
    return text === null ? undefined : (JSON.parse(text) as Checkpoint);
  }

  async checkpointSummaries(ids: readonly string[]): Promise<Array<CheckpointSummary | undefined>> {
    if (ids.length === 0) return [];
    const batch = this.redis.pipeline();
    for (const id of ids) batch.hget(this.keys.pipeline(id), "checkpoint_summary");
    const answers = (await batch.exec()) ?? [];
    return answers.map(([error, text]) => {
      if (error) throw error;
      return typeof text === "string" ? (JSON.parse(text) as CheckpointSummary) : undefined;
    });
  }

  async appendResults(id: string, records: readonly FrameRecord[]): Promise<void> {
    await this.commit(id, { records: records.map((record) => ({ record })) });
  }

  /**
   * Writes results (idempotent by source and frame number), a checkpoint and a final report in
   * one step; with a fence, only while the fence's token holds the pipeline's lease.
   */
  async commit(id: string, commit: Commit, fence?: Fence): Promise<CommitOutcome> {
    const keys = this.keys;
    const args: Array<string | number> = [
      fence?.token ?? "",
      commit.checkpoint ? JSON.stringify(commit.checkpoint) : "",
      commit.checkpoint ? JSON.stringify(summaryOf(commit.checkpoint)) : "",
      commit.finalReport ? JSON.stringify(commit.finalReport) : "",
    ];
    for (const { record: frame, thumbnail } of commit.records ?? []) {
      args.push(frame.source_index, frame.frame_number, JSON.stringify(frame), thumbnail ?? "");
    }
    const answer = (await COMMIT.run(
      this.redis,
      [keys.pipeline(id), keys.frames(id), keys.cursor(id), keys.results(id), keys.checkpoint(id), keys.report(id), keys.lease(id)],
      args,
    )) as number[];
    if (answer[0] === -1) return { written: false, reason: "lease lost" };
    if (answer[0] === -2) return { written: false, reason: "gone" };
    return { written: true, tally: { appended: answer[0], consumed: answer[1], dropped: answer[2] } };
  }

  async lastFrames(id: string): Promise<Record<number, number>> {
    const stored = await this.redis.hgetall(this.keys.frames(id));
    return Object.fromEntries(Object.entries(stored).map(([source, frame]) => [Number(source), Number(frame)]));
  }

  async consume(id: string, excludedFields: readonly string[] = []): Promise<Consumed> {
    const [dropped, entries] = (await CONSUME.run(this.redis, [this.keys.cursor(id), this.keys.results(id)], [])) as [number, StreamEntry[]];
    return { frames: withoutFields(entries.map(entryRecord), excludedFields), dropped };
  }

  /** Results after the entry numbered `after`, at most `count`, waiting up to `blockMs` for one (`XREAD BLOCK`). */
  static async readAfter(
    redis: Redis,
    key: string,
    after: number,
    blockMs: number,
    count = 256,
  ): Promise<Array<{ n: number; record: FrameRecord; thumbnail?: string }>> {
    const answer: Array<[string, StreamEntry[]]> | null = await redis.xread("COUNT", count, "BLOCK", blockMs, "STREAMS", key, `0-${after}`);
    const entries = answer?.[0]?.[1] ?? [];
    return entries.map((entry) => {
      const thumbnail = fieldOf(entry, "t");
      return { n: Number(entry[0].split("-")[1]), record: entryRecord(entry), ...(thumbnail ? { thumbnail } : {}) };
    });
  }

  async tally(id: string): Promise<ResultTally & { held: number }> {
    const [fields, length] = await Promise.all([
      this.redis.hmget(this.keys.cursor(id), "appended", "consumed", "dropped"),
      this.redis.xlen(this.keys.results(id)),
    ]);
    const [appended, consumed, dropped] = fields.map((value) => Number(value ?? 0));
    return { appended, consumed, dropped, held: length };
  }

  async resultCounts(id: string): Promise<{ buffered: number; dropped: number }> {
    const tally = await this.tally(id);
    return { buffered: Math.min(tally.held, tally.appended - tally.consumed), dropped: tally.dropped };
  }

  async saveFinalReport(id: string, report: PipelineReport): Promise<void> {
    await this.commit(id, { finalReport: report });
  }

  async hasFinalReport(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.report(id))) === 1;
  }

  async loadFinalReport(id: string): Promise<PipelineReport | undefined> {
    const text = await this.redis.get(this.keys.report(id));
    return text === null ? undefined : (JSON.parse(text) as PipelineReport);
  }

  /** The connection belongs to whoever made the store. */
  async close(): Promise<void> {}
}

export function summaryOf(checkpoint: Checkpoint): CheckpointSummary;
export function summaryOf(checkpoint: Checkpoint | undefined): CheckpointSummary | undefined;
export function summaryOf(checkpoint: Checkpoint | undefined): CheckpointSummary | undefined {
  if (!checkpoint) return undefined;
  const { engine: _engine, ...summary } = checkpoint;
  return summary;
}

function parseRecord(id: string, spec: string | null, createdAt: string | null, desired: string | null): PipelineRecord | undefined {
  if (spec === null || createdAt === null) return undefined;
  return { id, created_at: createdAt, spec: JSON.parse(spec) as PipelineSpec, desired: desired === "paused" ? "paused" : "running" };
}

function fieldOf([, fields]: StreamEntry, name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function entryRecord(entry: StreamEntry): FrameRecord {
  return JSON.parse(fieldOf(entry, "r") ?? "null") as FrameRecord;
}
