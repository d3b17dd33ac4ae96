/**
 * `sightline worker` (docs/guides/service.md#redis-and-workers): runs pipelines that
 * `sightline serve --redis` replicas created. One BullMQ job per pipeline; the job's lock is the
 * worker's lease on it, renewed every third of the lease. A worker:
 *
 * - fetches jobs itself (BullMQ's manual fetching), only while it has room; to give new
 *   pipelines to the least-loaded worker, only a worker that no live worker with room undercuts
 *   (share of capacity taken) waits for jobs; the others take one only if it is left unclaimed
 *   for `UNCLAIMED_MS`;
 * - runs each pipeline with a `PipelineRunner` from its last checkpoint, writing results,
 *   checkpoints and the final report through a `LeasedStore` (bounded, fenced by the lease, kept
 *   through Redis outages);
 * - heartbeats its load and health, and each pipeline's status report, every third of the lease
 *   (at most every second);
 * - follows the desired state (running, paused, terminated) published on the control channel,
 *   and re-reads it with every heartbeat in case a message was missed;
 * - on `close()` (SIGTERM) checkpoints every pipeline and puts its job back to waiting at once.
 *
 * A worker that dies holds its jobs until their locks expire; BullMQ's stalled-job check (every
 * quarter lease, at most 2.5 s, by any worker) then puts them back to waiting, and another worker
 * takes them over from their checkpoints. A job is never failed for stalling.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Queue, Worker as BullWorker, type Job } from "bullmq";
import { toErrorBody } from "../errors/index.js";
import { WORKER_DEFAULTS } from "./defaults.js";
import { LeasedStore } from "./leased-store.js";
import { readyEngine } from "./local-service.js";
import { ClusterState, restingReport, type ControlMessage, type OwnerStatus, type RedisHealth, type WorkerBeat } from "./redis-cluster.js";
import type { RedisConnection } from "./redis.js";
import { PIPELINE_QUEUE, RedisPipelineStore, summaryOf } from "./redis-store.js";
import { PipelineRunner, type RunEnd } from "./runner.js";
import type { Checkpoint, EngineMaker, PipelineRecord, ServiceLog, ServiceStats } from "./types.js";
import type { PipelineReport } from "./upstream-report.js";

/** How often a worker that is not among the least loaded looks for a job they leave unclaimed. */
const FETCH_DEFER_MS = 250;
/** A job waiting this long is taken by any worker with room, least loaded or not. */
const UNCLAIMED_MS = 2000;
/** Seconds a fetch blocks for a job before the worker looks at the other workers' loads again. */
const FETCH_BLOCK_S = 1;

export interface PipelineWorkerOptions {
  /**
   * For every command of the worker and BullMQ's (which duplicates it for its blocking fetch);
   * commands wait through an outage instead of failing. The caller closes it.
   */
  redis: RedisConnection;
  engines: EngineMaker;
  maxPipelines?: number;
  /** The job lock: a worker that stops renewing it loses its pipelines after this long. */
  leaseMs?: number;
  resultsBuffer?: number;
  checkpointEveryTicks?: number;
  checkpointIntervalMs?: number;
  log: ServiceLog;
  /** Default: `<host>-<pid>-<random>`. */
  id?: string;
}

/** One pipeline the worker holds. */
interface Held {
  id: string;
  job: Job;
  token: string;
  store?: LeasedStore;
  runner?: PipelineRunner;
  /** The latest desired state known; undefined until read. */
  desired?: ControlMessage["desired"];
  /** Why the worker is letting go of it, once it is. */
  ending?: "handover" | "lease lost" | "terminated";
  /** Desired-state changes, applied one after another. */
  applying: Promise<void>;
  /** Settles once the worker has let go of it. */
  released: Promise<void>;
  release: () => void;
}

export class PipelineWorker {
  readonly id: string;
  private readonly redis: RedisConnection;
  private readonly subscriber: RedisConnection["client"];
  private readonly bull: BullWorker;
  /** For looking at the jobs waiting. */
  private readonly queue: Queue;
  /** Waiting job ids, and when this worker first saw each waiting. */
  private readonly seenWaiting = new Map<string, number>();
  private readonly store: RedisPipelineStore;
  private readonly cluster: ClusterState;
  private readonly settings: { maxPipelines: number; leaseMs: number; resultsBuffer: number; beatMs: number };
  private readonly held = new Map<string, Held>();
  private readonly startedAt = new Date();
  private readonly health: RedisHealth = { up: true, round_trip_ms: null, outages: 0, down_since: null };
  private takeovers = 0;
  private tokens = 0;
  private closing: Promise<void> | null = null;
  private fetching: Promise<void> | null = null;
  private slotWaiters: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private beating = false;
  private beatAgain = false;
  private extending = false;

  constructor(private readonly options: PipelineWorkerOptions) {
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const leaseMs = options.leaseMs ?? WORKER_DEFAULTS.leaseMs;
    this.settings = {
      maxPipelines: options.maxPipelines ?? WORKER_DEFAULTS.maxPipelines,
      leaseMs,
      resultsBuffer: options.resultsBuffer ?? WORKER_DEFAULTS.resultsBuffer,
      beatMs: Math.min(1000, leaseMs / 3),
    };
    this.redis = options.redis;
    this.subscriber = options.redis.client.duplicate();
    this.store = new RedisPipelineStore(options.redis.client, options.redis.prefix);
    this.cluster = new ClusterState(options.redis.client, this.store.keys);
    this.bull = new BullWorker(PIPELINE_QUEUE, null, {
      connection: options.redis.client,
      prefix: this.store.keys.bullPrefix,
      name: this.id,
      autorun: false,
      lockDuration: leaseMs,
      // A dead worker's jobs go back to waiting within lease + 2 checks (a job is marked at one check, moved at the next).
      stalledInterval: Math.min(leaseMs / 4, 2500),
      // Stalling is a worker's death, never the pipeline's fault: it is taken over, however often.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      drainDelay: FETCH_BLOCK_S,
    });
    this.queue = new Queue(PIPELINE_QUEUE, { connection: options.redis.client, prefix: this.store.keys.bullPrefix });
    // BullMQ reports connection trouble here; the connection's own events say it once.
    this.bull.on("error", () => undefined);
    this.queue.on("error", () => undefined);
  }

  /** Connects, starts the stalled-job check, heartbeats and fetching; resolves once fetching has begun. */
  async start(): Promise<void> {
    this.watchConnection();
    this.subscriber.on("message", (_channel: string, text: string) => this.onControl(text));
    await this.subscriber.subscribe(this.store.keys.control);
    await this.bull.waitUntilReady();
    await this.bull.startStalledCheckTimer();
    this.timers.push(
      setInterval(() => void this.renewLeases(), this.settings.leaseMs / 3),
      setInterval(() => void this.beat(), this.settings.beatMs),
    );
    await this.beat();
    this.fetching = this.fetchLoop();
    this.options.log.info({ worker: this.id, max_pipelines: this.settings.maxPipelines, lease_ms: this.settings.leaseMs }, "worker started");
  }

  /** Its heartbeat: load and health, as the other workers and the control plane (and its own `/metrics`) see them. */
  snapshot(): WorkerBeat {
    let buffered = 0;
    for (const held of this.held.values()) buffered += held.store?.pending ?? 0;
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      started_at: this.startedAt.toISOString(),
      at: Date.now(),
      pipelines: [...this.held.keys()],
      capacity: this.settings.maxPipelines,
      lease_ms: this.settings.leaseMs,
      results_buffered: buffered,
      takeovers: this.takeovers,
      redis: { ...this.health },
    };
  }

  /** What its `/metrics` shows besides the reports. */
  stats(): ServiceStats {
    const checkpoints: Record<string, string> = {};
    for (const held of this.held.values()) if (held.store?.checkpointTakenAt) checkpoints[held.id] = held.store.checkpointTakenAt;
    return { checkpoints, takeovers: this.takeovers, redisOutages: this.health.outages, workers: [this.snapshot()] };
  }

  /** Its connection to Redis, as its `/metrics` shows it. */
  connection(): { connected: boolean; roundTripMs: number | null } {
    return { connected: this.health.up, roundTripMs: this.health.round_trip_ms };
  }

  /** The reports of the pipelines it runs. */
  async reports(): Promise<PipelineReport[]> {
    const runners = [...this.held.values()].flatMap((held) => (held.runner ? [held.runner] : []));
    return Promise.all(runners.map((runner) => runner.report()));
  }

  /** SIGTERM: every pipeline checkpointed and its job put back to waiting, at once; then disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const wake of this.slotWaiters.splice(0)) wake();
      const handOverAll = () => Promise.allSettled([...this.held.values()].map((held) => this.handOver(held)));
      await handOverAll();
      for (const timer of this.timers) clearInterval(timer);
      await this.bull.close();
      await this.queue.close();
      await this.fetching;
      // a job fetched while the others were handed over
      await handOverAll();
      await this.cluster.forgetWorker(this.id).catch(() => undefined);
      this.subscriber.disconnect();
      this.options.log.info({ worker: this.id }, "worker stopped");
    })();
    return this.closing;
  }

  private watchConnection(): void {
    this.redis.client.on("close", () => {
      if (!this.health.up) return;
      this.health.up = false;
      this.health.outages++;
      this.health.down_since = new Date().toISOString();
      this.options.log.warn(
        { worker: this.id, results_buffered: this.snapshot().results_buffered },
        "redis unreachable: pipelines go on, results are held; reconnecting",
      );
    });
    this.redis.client.on("ready", () => {
      if (this.health.up) return;
      const since = this.health.down_since ? Date.parse(this.health.down_since) : Date.now();
      this.health.up = true;
      this.health.down_since = null;
      this.options.log.info(
        { worker: this.id, outage_s: (Date.now() - since) / 1000, results_buffered: this.snapshot().results_buffered },
        "redis reconnected",
      );
      void this.beat();
    });
  }

  // Fetching

  private async fetchLoop(): Promise<void> {
    while (!this.closing) {
      if (this.held.size >= this.settings.maxPipelines) {
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      try {
        const leastLoaded = (await this.lessLoadedWorkers()) === 0;
        if (!leastLoaded && !(await this.unclaimedJobWaits())) {
          await sleep(FETCH_DEFER_MS);
          continue;
        }
        const token = `${this.id}:${++this.tokens}`;
        const job = (await this.bull.getNextJob(token, { block: leastLoaded })) as Job | undefined;
        if (job) this.take(job, token);
      } catch (error) {
        if (this.closing) break;
        this.options.log.warn({ worker: this.id, reason: (error as Error).message }, "worker could not fetch a pipeline");
        await sleep(1000);
      }
    }
  }

  /** Live workers with room that carry a smaller share of their capacity than this one. */
  private async lessLoadedWorkers(): Promise<number> {
    const share = this.held.size / this.settings.maxPipelines;
    const workers = await this.cluster.liveWorkers();
    return workers.filter((worker) => worker.id !== this.id && worker.pipelines.length < worker.capacity && worker.pipelines.length / worker.capacity < share)
      .length;
  }

  /**
   * Whether a job has been waiting for `UNCLAIMED_MS` since this worker first saw it: the
   * less-loaded workers are not taking it (busy or stuck), so a busier one may. Timed by this
   * worker's clock alone.
   */
  private async unclaimedJobWaits(): Promise<boolean> {
    const waiting = await this.queue.getRanges(["wait"], 0, 9);
    const now = Date.now();
    for (const id of this.seenWaiting.keys()) if (!waiting.includes(id)) this.seenWaiting.delete(id);
    for (const id of waiting) if (!this.seenWaiting.has(id)) this.seenWaiting.set(id, now);
    return waiting.some((id) => now - (this.seenWaiting.get(id) ?? now) >= UNCLAIMED_MS);
  }

  // Running

  private take(job: Job, token: string): void {
    const id = String(job.id);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: Held = { id, job, token, applying: Promise.resolve(), released, release };
    this.held.set(id, held);
    void this.beat();
    void this.run(held)
      .catch((error: unknown) =>
        this.options.log.error({ worker: this.id, pipeline_id: id, reason: (error as Error).message }, "pipeline run failed in the worker"),
      )
      .finally(() => this.forget(held));
  }

  private async run(held: Held): Promise<void> {
    const { id } = held;
    if (this.closing) return this.handBack(held);
    const claim = await this.cluster.claim(id, this.id);
    const record = claim.gone ? undefined : await this.store.get(id);
    const [desired] = await this.cluster.desired([id]);
    held.desired ??= desired ?? "terminated";
    // its run ended, but its worker died before completing the job: nothing to run again
    if (claim.gone || !record || held.desired === "terminated" || (await this.store.hasFinalReport(id))) return this.complete(held);
    const { takeover } = claim;
    if (takeover) {
      this.takeovers++;
      this.options.log.warn({ worker: this.id, pipeline_id: id, from: takeover.from, silent_ms: takeover.silent_ms }, "pipeline taken over");
    }
    const checkpoint = await this.store.loadCheckpoint(id);
    const store = new LeasedStore(
      this.store,
      id,
      { token: held.token },
      {
        limit: this.settings.resultsBuffer,
        onLost: (reason) => this.letGo(held, reason === "gone" ? "terminated" : "lease lost"),
        onError: (error) => this.options.log.warn({ worker: this.id, pipeline_id: id, reason: error.message }, "results not written yet; retrying"),
      },
      await this.store.tally(id),
    );
    store.checkpointTakenAt = checkpoint?.taken_at;
    held.store = store;
    await this.writeStatus(held, restingReport(record, summaryOf(checkpoint), "starting"));
    const runner = await this.startRunner(held, record, checkpoint);
    if (!runner) return;
    held.runner = runner;
    if (held.desired === "paused") await runner.pause();
    // and whatever changed meanwhile
    this.apply(held, held.desired);
    if (held.ending) void this.stopRunner(held);
    void this.beat();
    await this.ended(held, await runner.done);
  }

  /** The runner, or nothing when the workflow cannot run here (the pipeline then fails for good, with the reason in its report). */
  private async startRunner(held: Held, record: PipelineRecord, checkpoint: Checkpoint | undefined): Promise<PipelineRunner | undefined> {
    const store = held.store!;
    let engine;
    try {
      engine = await readyEngine(this.options.engines, record, checkpoint?.engine);
    } catch (error) {
      this.options.log.error({ worker: this.id, pipeline_id: held.id, reason: (error as Error).message }, "pipeline failed");
      await store.saveFinalReport(held.id, restingReport(record, summaryOf(checkpoint), "failed", toErrorBody(error)));
      await store.drain();
      await this.complete(held);
      return undefined;
    }
    const { checkpointEveryTicks, checkpointIntervalMs, log } = this.options;
    return PipelineRunner.start({ record, checkpoint, store, engine, log, checkpointEveryTicks, checkpointIntervalMs, storeThumbnails: true });
  }

  /** After the run: its writes in Redis, then the job completed (it ended) or back to waiting (handed over). */
  private async ended(held: Held, end: RunEnd): Promise<void> {
    const store = held.store!;
    if (held.ending === "lease lost") return;
    if (end === "terminated") {
      store.discard();
      return this.complete(held);
    }
    await store.drain();
    if (store.isLost) return;
    if (end === "suspended") return this.handBack(held);
    return this.complete(held);
  }

  /** The job is done: completed (and removed), the pipeline's status left to its final report. */
  private async complete(held: Held): Promise<void> {
    await held.job.moveToCompleted(null, held.token, false);
    await this.cluster.release(held.id, this.id);
    await this.cluster.clearStatus(held.id);
  }

  /** The job goes back to waiting for the next worker, which will not count it as a takeover. */
  private async handBack(held: Held): Promise<void> {
    await this.cluster.release(held.id, this.id);
    await this.cluster.clearStatus(held.id);
    await held.job.moveToWait(held.token);
    this.options.log.info({ worker: this.id, pipeline_id: held.id }, "pipeline handed over");
  }

  private forget(held: Held): void {
    this.held.delete(held.id);
    held.release();
    for (const wake of this.slotWaiters.splice(0)) wake();
    void this.beat();
  }

  /** Stops the run without writing anything more: the lease is gone, or the pipeline is. */
  private letGo(held: Held, why: "lease lost" | "terminated"): void {
    if (held.ending === "lease lost" || held.ending === "terminated") return;
    held.ending = why;
    if (why === "lease lost") this.options.log.warn({ worker: this.id, pipeline_id: held.id }, "pipeline lease lost: another worker runs it");
    void this.stopRunner(held);
  }

  private async stopRunner(held: Held): Promise<void> {
    const runner = held.runner;
    if (!runner) return; // `run` stops it as soon as it has one
    if (held.ending === "terminated") await runner.terminate();
    else await runner.suspend();
  }

  private async handOver(held: Held): Promise<void> {
    held.ending ??= "handover";
    await this.stopRunner(held);
    await held.released;
  }

  // Leases, heartbeats, desired states

  private async renewLeases(): Promise<void> {
    if (this.extending) return;
    const held = [...this.held.values()].filter((entry) => entry.ending !== "lease lost" && entry.ending !== "terminated");
    if (held.length === 0) return;
    this.extending = true;
    try {
      const failed = await this.bull.extendJobLocks(
        held.map((entry) => entry.id),
        held.map((entry) => entry.token),
        this.settings.leaseMs,
      );
      for (const id of failed) {
        const entry = this.held.get(id);
        if (entry) this.letGo(entry, "lease lost");
      }
    } catch {
      // Redis unreachable: renewed at the next attempt, if the lease still holds by then.
    } finally {
      this.extending = false;
    }
  }

  /** Heartbeat: the worker's load and health, each running pipeline's status; then the desired states. */
  private async beat(): Promise<void> {
    if (this.beating) {
      this.beatAgain = true;
      return;
    }
    this.beating = true;
    try {
      do {
        this.beatAgain = false;
        this.health.round_trip_ms = (await this.redis.roundTripMs()) ?? this.health.round_trip_ms;
        const running = [...this.held.values()].filter((held) => held.runner && !held.ending);
        const statuses = await Promise.all(
          running.map(async (held) => ({ id: held.id, token: held.token, status: this.ownerStatus(await held.runner!.report()) })),
        );
        await this.cluster.beat(this.snapshot(), statuses, this.settings.leaseMs);
        await this.followDesired();
      } while (this.beatAgain);
    } catch (error) {
      if (this.health.up) this.options.log.warn({ worker: this.id, reason: (error as Error).message }, "worker heartbeat failed");
    } finally {
      this.beating = false;
    }
  }

  private ownerStatus(report: PipelineReport): OwnerStatus {
    return { worker: this.id, at: Date.now(), report };
  }

  /** One status written at once (before the run starts), fenced like the heartbeat's. */
  private async writeStatus(held: Held, report: PipelineReport): Promise<void> {
    await this.cluster.beat(this.snapshot(), [{ id: held.id, token: held.token, status: this.ownerStatus(report) }], this.settings.leaseMs);
  }

  private async followDesired(): Promise<void> {
    const held = [...this.held.values()];
    const desired = await this.cluster.desired(held.map((entry) => entry.id));
    held.forEach((entry, index) => this.apply(entry, desired[index] ?? "terminated"));
  }

  private onControl(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    const held = this.held.get(message.id);
    if (held) this.apply(held, message.desired);
  }

  private apply(held: Held, desired: ControlMessage["desired"]): void {
    held.desired = desired;
    const runner = held.runner;
    if (!runner || held.ending) return;
    held.applying = held.applying
      .then(async () => {
        if (held.ending || runner.ended) return;
        if (desired === "terminated") {
          held.ending = "terminated";
          await runner.terminate();
        } else if (desired === "paused" && runner.state !== "paused") {
          await runner.pause();
          await this.beat();
        } else if (desired === "running" && runner.state === "paused") {
          runner.resume();
          await this.beat();
        }
      })
      .catch((error: unknown) =>
        this.options.log.warn({ worker: this.id, pipeline_id: held.id, reason: (error as Error).message }, "desired state not applied"),
      );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
