/**
 * What the workers and the control plane tell each other through Redis besides the store
 * (docs/guides/service.md#redis-and-workers): who runs each pipeline (its owner, and the status
 * report it heartbeats), each worker's load and health, takeovers, and desired-state changes
 * on a pub/sub channel. Reports of pipelines nobody runs are made here from the record and the
 * checkpoint's summary.
 */
import type { Redis } from "ioredis";
import type { WorkflowErrorBody } from "../errors/index.js";
import { LuaScript, type CheckpointSummary, type RedisKeys } from "./redis-store.js";
import type { PipelineRecord } from "./types.js";
import { pipelineReport, restingStatus } from "./runner.js";
import type { PipelineReport, ReportState } from "./upstream-report.js";

/** What a worker heartbeats about itself. */
export interface WorkerBeat {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  /** ms since the epoch. */
  at: number;
  pipelines: string[];
  capacity: number;
  lease_ms: number;
  /** Frame results held in the worker, not yet written to Redis. */
  results_buffered: number;
  /** Pipelines this worker took over from a worker that did not hand them over. */
  takeovers: number;
  redis: RedisHealth;
}

export interface RedisHealth {
  up: boolean;
  /** The last PING's round trip, ms; null before the first. */
  round_trip_ms: number | null;
  /** Times the connection was lost since the process started. */
  outages: number;
  /** ISO time the current outage began; null while connected. */
  down_since: string | null;
}

/** A pipeline's status as its owner heartbeats it. */
export interface OwnerStatus {
  worker: string;
  /** ms since the epoch. */
  at: number;
  report: PipelineReport;
}

/** A desired-state change, published on the control channel. */
export interface ControlMessage {
  id: string;
  desired: "running" | "paused" | "terminated";
}

/** One takeover, as the worker that took the pipeline recorded it. */
export interface Takeover {
  from: string;
  to: string;
  /** ms since the epoch. */
  at: number;
  /** From the previous owner's last heartbeat to the takeover, ms. */
  silent_ms: number;
}

/**
 * Makes the worker the pipeline's owner. A previous owner that did not hand the pipeline over
 * (it died, or lost its lease) makes this a takeover: counted, and recorded with how long the
 * previous owner had been silent.
 */
const CLAIM = new LuaScript(`
local record, takeovers, workers = KEYS[1], KEYS[2], KEYS[3]
if redis.call("EXISTS", record) == 0 then return false end
local previous = redis.call("HGET", record, "owner")
redis.call("HSET", record, "owner", ARGV[1])
if not previous then return "" end
local seen = tonumber(redis.call("ZSCORE", workers, previous) or ARGV[2])
local now = tonumber(ARGV[2])
local takeover = cjson.encode({from = previous, to = ARGV[1], at = now, silent_ms = now - seen})
redis.call("HSET", record, "last_takeover", takeover)
redis.call("INCR", takeovers)
return takeover
`);

/** Gives the pipeline up (hand-over or end): the next worker to take it is not taking it over. */
const RELEASE = new LuaScript(`
if redis.call("HGET", KEYS[1], "owner") == ARGV[1] then redis.call("HDEL", KEYS[1], "owner") end
return 1
`);

/** Writes the owners' statuses, each only while its lease is held: `[status key, lease key]…`, `[ttl, token, json]…`. */
const BEAT = new LuaScript(`
local ttl = ARGV[1]
for i = 1, #KEYS, 2 do
  local at = (i + 1) / 2
  if redis.call("GET", KEYS[i + 1]) == ARGV[2 * at] then
    redis.call("SET", KEYS[i], ARGV[2 * at + 1], "PX", ttl)
  end
end
return 1
`);

export type ClaimOutcome = { gone: true } | { gone: false; takeover: Takeover | null };

export class ClusterState {
  constructor(
    private readonly redis: Redis,
    readonly keys: RedisKeys,
  ) {}

  async claim(id: string, worker: string, now = Date.now()): Promise<ClaimOutcome> {
    const answer = await CLAIM.run(this.redis, [this.keys.pipeline(id), this.keys.takeovers, this.keys.workers], [worker, now]);
    if (answer === null) return { gone: true };
    return { gone: false, takeover: answer === "" ? null : (JSON.parse(answer as string) as Takeover) };
  }

  async release(id: string, worker: string): Promise<void> {
    await RELEASE.run(this.redis, [this.keys.pipeline(id)], [worker]);
  }

  /** Each held pipeline's status, fenced by its lease; the worker's own beat. */
  async beat(worker: WorkerBeat, statuses: ReadonlyArray<{ id: string; token: string; status: OwnerStatus }>, ttlMs: number): Promise<void> {
    const batch = this.redis.pipeline();
    if (statuses.length > 0) {
      const keys = statuses.flatMap(({ id }) => [this.keys.status(id), this.keys.lease(id)]);
      const args = [ttlMs, ...statuses.flatMap(({ token, status }) => [token, JSON.stringify(status)])];
      // One script call for every pipeline: run as a command of the batch, by its source.
      batch.eval(BEAT.source, keys.length, ...keys, ...args);
    }
    batch.set(this.keys.worker(worker.id), JSON.stringify(worker), "PX", ttlMs);
    batch.zadd(this.keys.workers, worker.at, worker.id);
    // Workers silent for a day are forgotten.
    batch.zremrangebyscore(this.keys.workers, 0, worker.at - 86_400_000);
    const answers = (await batch.exec()) ?? [];
    for (const [error] of answers) if (error) throw error;
  }

  async clearStatus(id: string): Promise<void> {
    await this.redis.del(this.keys.status(id));
  }

  async forgetWorker(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(id)).zrem(this.keys.workers, id).exec();
  }

  /** Workers whose heartbeat has not expired. */
  async liveWorkers(): Promise<WorkerBeat[]> {
    const ids = await this.redis.zrange(this.keys.workers, 0, -1);
    if (ids.length === 0) return [];
    const beats = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
    return beats.flatMap((text) => (text === null ? [] : [JSON.parse(text) as WorkerBeat]));
  }

  async statuses(ids: readonly string[]): Promise<Array<OwnerStatus | undefined>> {
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => this.keys.status(id)));
    return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as OwnerStatus)));
  }

  async finalReports(ids: readonly string[]): Promise<Array<PipelineReport | undefined>> {
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => this.keys.report(id)));
    return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as PipelineReport)));
  }

  async takeovers(): Promise<number> {
    return Number((await this.redis.get(this.keys.takeovers)) ?? 0);
  }

  /** The control fields of held pipelines: desired state, and whether they are being terminated (null: gone). */
  async desired(ids: readonly string[]): Promise<Array<ControlMessage["desired"] | null>> {
    if (ids.length === 0) return [];
    const batch = this.redis.pipeline();
    for (const id of ids) batch.hmget(this.keys.pipeline(id), "desired", "terminate", "spec");
    const answers = (await batch.exec()) ?? [];
    return answers.map(([error, fields]) => {
      if (error) throw error;
      const [desired, terminate, spec] = fields as Array<string | null>;
      if (spec === null || terminate !== null) return spec === null ? null : "terminated";
      return desired === "paused" ? "paused" : "running";
    });
  }

  async publish(message: ControlMessage): Promise<void> {
    await this.redis.publish(this.keys.control, JSON.stringify(message));
  }
}

/**
 * The report of a pipeline no process is running: waiting for a worker (or starting on one), or
 * failed before its run began — its counters as of the last checkpoint, its sources not open.
 */
export function restingReport(
  record: PipelineRecord,
  summary: CheckpointSummary | undefined,
  state: ReportState,
  failure: WorkflowErrorBody | null = null,
): PipelineReport {
  const report = pipelineReport(record, restingStatus("starting", failure, summary), { buffered: 0, dropped: 0 }, summary?.source_events ?? []);
  return { ...report, state };
}
