/**
 * The control plane of `sightline serve --redis` (docs/guides/service.md#redis-and-workers): the
 * `PipelineService` the HTTP routes call, holding nothing itself — every replica answers every
 * request from Redis, and workers (`worker.ts`) run the pipelines.
 *
 * - `start` compiles the definition here (its error is the 400), then writes the record and adds
 *   the pipeline's job;
 * - `list` and `report` read the owner's heartbeat status, or the final report, or — nobody runs
 *   it — make a `waiting` report from the record and the last checkpoint;
 * - `pause`, `resume` and `terminate` write the desired state, publish it, and wait (bounded)
 *   until the worker has applied it; `terminate` then removes the pipeline;
 * - `consume` takes the results after the cursor; `subscribe` follows the results stream.
 */
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { makeRoom, pipelineNotFound, requireImageInput } from "./local-service.js";
import { ClusterState, restingReport } from "./redis-cluster.js";
import { RedisError, type RedisConnection } from "./redis.js";
import { PIPELINE_QUEUE, RedisPipelineStore } from "./redis-store.js";
import type {
  Consumed,
  EngineMaker,
  PipelineEvent,
  PipelineRecord,
  PipelineService,
  PipelineSpec,
  PipelineSummary,
  ServiceLog,
  ServiceStats,
  Subscription,
} from "./types.js";
import type { PipelineReport, ReportState } from "./upstream-report.js";

/** How long pause, resume and terminate wait for the worker holding the pipeline (it may be dying: then for the lease to pass). */
const ACK_TIMEOUT_MS = 30_000;
/** A live view's read blocks this long before it looks for the pipeline's end… */
const LIVE_READ_BLOCK_MS = 1000;
/** … and is given up this much later if Redis has not answered it. */
const LIVE_READ_GRACE_MS = 2000;
const POLL_MS = 50;
const ENDED: ReadonlySet<ReportState> = new Set(["finished", "failed"]);

export interface RedisServiceOptions {
  /** The server's connection; the caller closes it. */
  redis: RedisConnection;
  /** Compiles definitions, to refuse a bad one with its error before anything is stored. */
  engines: EngineMaker;
  /** Pipelines the cluster holds at most (running or ended, not terminated). */
  maxPipelines: number;
  log?: ServiceLog;
  ackTimeoutMs?: number;
}

/** One subscriber's reading of a results stream, on a connection of its own (`XREAD BLOCK` holds it). */
interface LiveView {
  active: boolean;
  reader: Redis | null;
}

/** What a report or a list entry is made of: a pipeline's report and who runs it. */
interface View {
  report: PipelineReport;
  worker: string | null;
}

export class RedisPipelineService implements PipelineService {
  readonly store: RedisPipelineStore;
  readonly cluster: ClusterState;
  private readonly queue: Queue;
  private readonly readers = new Set<Redis>();
  private connected = true;
  private outages = 0;

  constructor(private readonly options: RedisServiceOptions) {
    const client = options.redis.client;
    client.on("close", () => {
      if (this.connected) this.outages++;
      this.connected = false;
    });
    client.on("ready", () => (this.connected = true));
    this.store = new RedisPipelineStore(client, options.redis.prefix);
    this.cluster = new ClusterState(client, this.store.keys);
    this.queue = new Queue(PIPELINE_QUEUE, { connection: client, prefix: this.store.keys.bullPrefix });
    this.queue.on("error", () => undefined); // a failed command rejects the request that sent it; nothing to log twice
  }

  start(spec: PipelineSpec): Promise<string> {
    return this.reachable(async () => {
      const engine = this.options.engines(spec.specification);
      try {
        requireImageInput(engine, spec.imageInputName);
      } finally {
        await engine.close();
      }
      await makeRoom(this.store, this.options.maxPipelines, (id) => this.store.remove(id));
      const record: PipelineRecord = { id: randomUUID(), created_at: new Date().toISOString(), spec, desired: "running" };
      await this.store.create(record);
      await this.queue.add("pipeline", { id: record.id }, { jobId: record.id, removeOnComplete: true, removeOnFail: true });
      this.options.log?.info({ pipeline_id: record.id, sources: spec.videos.length }, "pipeline queued for a worker");
      return record.id;
    });
  }

  list(): Promise<PipelineSummary[]> {
    return this.reachable(async () => {
      const records = await this.store.list();
      const views = await this.views(records);
      return records.map((record, index) => ({
        pipeline_id: record.id,
        state: views[index].report.state,
        created_at: record.created_at,
        worker: views[index].worker,
      }));
    });
  }

  report(id: string): Promise<PipelineReport> {
    return this.reachable(async () => {
      const [view] = await this.views([await this.record(id)]);
      return this.withResultCounts(view.report);
    });
  }

  reports(): Promise<PipelineReport[]> {
    return this.reachable(async () => {
      const views = await this.views(await this.store.list());
      return Promise.all(views.map((view) => this.withResultCounts(view.report)));
    });
  }

  pause(id: string): Promise<void> {
    return this.reachable(async () => {
      await this.record(id);
      await this.store.setDesired(id, "paused");
      await this.cluster.publish({ id, desired: "paused" });
      await this.applied(id, (state) => state === "paused");
    });
  }

  resume(id: string): Promise<void> {
    return this.reachable(async () => {
      await this.record(id);
      await this.store.setDesired(id, "running");
      await this.cluster.publish({ id, desired: "running" });
      await this.applied(id, (state) => state !== "paused");
    });
  }

  /** Waits until the worker has stopped (its job is gone), then forgets the pipeline. */
  terminate(id: string): Promise<void> {
    return this.reachable(async () => {
      await this.record(id);
      await this.store.setFields(id, { terminate: "1" });
      await this.cluster.publish({ id, desired: "terminated" });
      if (!(await this.jobRemoved(id))) {
        this.options.log?.warn({ pipeline_id: id }, "terminate: the worker holding the pipeline did not stop in time; it stops at its next write");
      }
      await this.store.remove(id);
    });
  }

  consume(id: string, excludedFields?: readonly string[]): Promise<Consumed> {
    return this.reachable(async () => {
      await this.record(id);
      return this.store.consume(id, excludedFields);
    });
  }

  /** Frame events from the results stream (from now on), then the end once a final report is there. */
  subscribe(id: string, listener: (event: PipelineEvent) => void): Promise<Subscription> {
    return this.reachable(async () => {
      await this.record(id);
      if (await this.store.loadFinalReport(id)) return { unsubscribe: () => undefined, ended: true };
      const live: LiveView = { active: true, reader: null };
      const stop = () => {
        live.active = false;
        this.dropReader(live);
      };
      void this.follow(id, (await this.store.tally(id)).appended, listener, live)
        .catch(() => undefined)
        .finally(stop);
      return { unsubscribe: stop, ended: false };
    });
  }

  private async follow(id: string, after: number, listener: (event: PipelineEvent) => void, live: LiveView): Promise<void> {
    const key = this.store.keys.results(id);
    while (live.active) {
      if (!live.reader) this.readers.add((live.reader = this.options.redis.client.duplicate()));
      const entries = await withinMs(RedisPipelineStore.readAfter(live.reader, key, after, LIVE_READ_BLOCK_MS), LIVE_READ_BLOCK_MS + LIVE_READ_GRACE_MS);
      if (!entries) {
        // A blocking read interrupted by a reconnection may never answer (ioredis sends it again): a new connection reads on.
        this.dropReader(live);
        continue;
      }
      for (const entry of entries) {
        after = entry.n;
        if (live.active) listener({ type: "frame", record: entry.record, ...(entry.thumbnail ? { thumbnail: entry.thumbnail } : {}) });
      }
      if (entries.length > 0 || !live.active) continue;
      const final = await this.store.loadFinalReport(id);
      if (final) {
        listener({ type: "end", report: await this.withResultCounts(final) });
        return;
      }
      // terminated: the event stream's own status poll ends it
      if (!(await this.store.get(id))) return;
    }
  }

  private dropReader(live: LiveView): void {
    if (!live.reader) return;
    this.readers.delete(live.reader);
    live.reader.disconnect();
    live.reader = null;
  }

  /** The cluster's figures; while Redis is unreachable, only this process's outages. */
  async stats(): Promise<ServiceStats> {
    if (!this.options.redis.connected) return { checkpoints: {}, takeovers: 0, redisOutages: this.outages, workers: [] };
    const ids = await this.store.ids();
    const [summaries, takeovers, workers] = await Promise.all([this.store.checkpointSummaries(ids), this.cluster.takeovers(), this.cluster.liveWorkers()]);
    const checkpoints: Record<string, string> = {};
    ids.forEach((id, index) => {
      const takenAt = summaries[index]?.taken_at;
      if (takenAt) checkpoints[id] = takenAt;
    });
    return { checkpoints, takeovers, redisOutages: this.outages, workers };
  }

  async close(): Promise<void> {
    for (const reader of this.readers) reader.disconnect();
    await this.queue.close().catch(() => undefined);
  }

  private async record(id: string): Promise<PipelineRecord> {
    const record = await this.store.get(id);
    if (!record) throw pipelineNotFound(id);
    return record;
  }

  /** Final report, else the owner's status, else waiting. */
  private async views(records: readonly PipelineRecord[]): Promise<View[]> {
    const ids = records.map((record) => record.id);
    const [finals, statuses, summaries] = await Promise.all([this.cluster.finalReports(ids), this.cluster.statuses(ids), this.store.checkpointSummaries(ids)]);
    return records.map((record, index) => {
      const final = finals[index];
      if (final) return { report: final, worker: null };
      const status = statuses[index];
      // A run that has ended is not over until its final report is in Redis: the worker writes
      // it after the last results, so "finished" never comes before a result `consume` lacks.
      if (status) return { report: ENDED.has(status.report.state) ? { ...status.report, state: "running" } : status.report, worker: status.worker };
      return { report: restingReport(record, summaries[index], "waiting"), worker: null };
    });
  }

  /** The results' counters as Redis has them now (a worker's heartbeat is up to a second old). */
  private async withResultCounts(report: PipelineReport): Promise<PipelineReport> {
    const counts = await this.store.resultCounts(report.pipeline_id);
    return { ...report, buffered_results: counts.buffered, results_dropped: counts.dropped };
  }

  /** Until the worker's status shows the change, nobody runs the pipeline (the next one applies it at start), it has ended, or the wait is over. */
  private async applied(id: string, done: (state: ReportState) => boolean): Promise<void> {
    const deadline = Date.now() + (this.options.ackTimeoutMs ?? ACK_TIMEOUT_MS);
    while (Date.now() < deadline) {
      const [[status], [final]] = await Promise.all([this.cluster.statuses([id]), this.cluster.finalReports([id])]);
      if (!status || final || done(status.report.state) || status.report.state === "finished" || status.report.state === "failed") return;
      await sleep(POLL_MS);
    }
  }

  /** Removes the pipeline's job once no worker runs it; false if one still did at the deadline. */
  private async jobRemoved(id: string): Promise<boolean> {
    const deadline = Date.now() + (this.options.ackTimeoutMs ?? ACK_TIMEOUT_MS);
    while (Date.now() < deadline) {
      const job = await this.queue.getJob(id);
      if (!job) return true;
      if ((await job.getState()) !== "active") {
        // taken by a worker meanwhile: it sees the pipeline terminated and completes the job
        const removed = await job.remove().then(
          () => true,
          () => false,
        );
        if (removed) return true;
      }
      await sleep(POLL_MS);
    }
    return false;
  }

  /**
   * Redis unreachable: 503 at once, for every route — a control plane that waited would hold its
   * clients for the length of the outage, while the workers keep the pipelines running anyway.
   */
  private async reachable<T>(body: () => Promise<T>): Promise<T> {
    if (!this.options.redis.connected) {
      throw new RedisError(`Redis at ${this.options.redis.url} is unreachable; the workers keep their pipelines running. Retry shortly.`);
    }
    return body();
  }
}

/** The promise's value, or undefined if it has not settled within `ms`. */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  promise.catch(() => undefined); // abandoned when late
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
