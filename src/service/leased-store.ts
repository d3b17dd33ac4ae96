/**
 * A worker's store for one pipeline it holds under a lease (docs/guides/service.md#redis-and-workers).
 * Reads go to Redis. Writes — results, checkpoints, the final report — go into a queue that is
 * written to Redis in order, several ticks per round trip, each write fenced by the lease: the
 * runner does not wait for Redis, and when Redis is unreachable the pipeline keeps running until
 * the queue holds `limit` frame results; then the runner waits (files pause, live sources drop
 * frames, as when processing is slow). Nothing queued is lost while the lease holds: writes are
 * retried until Redis answers. A lost lease (another worker has the pipeline) or a pipeline gone
 * (terminated) drops the queue and is reported once.
 */
import type { FrameRecord } from "../video/index.js";
import type { RedisPipelineStore, Commit, CommitOutcome, Fence, ResultTally } from "./redis-store.js";
import type { Checkpoint, Consumed, DesiredState, PipelineRecord, PipelineStore } from "./types.js";
import type { PipelineReport } from "./upstream-report.js";

/** Frame results written in one round trip at most. */
const BATCH_FRAMES = 512;
const RETRY_MS = { first: 100, max: 5_000 };

export interface LeasedStoreOptions {
  /** Frame results queued at most before the runner waits. */
  limit: number;
  /** The lease was lost or the pipeline is gone: stop the run. Called once. */
  onLost: (reason: "lease lost" | "gone") => void;
  /** A write failed (it is retried). */
  onError: (error: Error) => void;
}

export class LeasedStore implements PipelineStore {
  private readonly queue: Commit[] = [];
  private queuedFrames = 0;
  private flushing: Promise<void> | null = null;
  private lost: "lease lost" | "gone" | null = null;
  private waiters: Array<() => void> = [];
  /** When the last checkpoint in Redis was taken (ISO). */
  checkpointTakenAt: string | undefined;

  constructor(
    private readonly store: RedisPipelineStore,
    private readonly id: string,
    private readonly fence: Fence,
    private readonly options: LeasedStoreOptions,
    /** The results' counters as of the last write. */
    private tally: ResultTally,
  ) {}

  /** Frame results queued, not yet in Redis. */
  get pending(): number {
    return this.queuedFrames;
  }

  get isLost(): boolean {
    return this.lost !== null;
  }

  async appendResults(_id: string, records: readonly FrameRecord[], thumbnails?: ReadonlyArray<string | undefined>): Promise<void> {
    this.enqueue({ records: records.map((record, index) => ({ record, thumbnail: thumbnails?.[index] })) }, records.length);
    while (this.queuedFrames >= this.options.limit && !this.lost) await this.nextWrite();
  }

  async saveCheckpoint(_id: string, checkpoint: Checkpoint): Promise<void> {
    this.enqueue({ checkpoint }, 0);
  }

  async saveFinalReport(_id: string, report: PipelineReport): Promise<void> {
    this.enqueue({ finalReport: report }, 0);
  }

  /** Resolves once everything queued is in Redis, or the lease is lost. */
  async drain(): Promise<void> {
    while ((this.queue.length > 0 || this.flushing) && !this.lost) await this.nextWrite();
  }

  /** Drops what is queued: the run's writes no longer matter (terminated). */
  discard(): void {
    this.lose("gone", false);
  }

  private enqueue(commit: Commit, frames: number): void {
    if (this.lost) return;
    this.queue.push(commit);
    this.queuedFrames += frames;
    this.kick();
  }

  private kick(): void {
    if (this.flushing || this.lost) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      this.wake();
      // queued after the flush saw the queue empty
      if (this.queue.length > 0) this.kick();
    });
  }

  private nextWrite(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0 && !this.lost) {
      const { commit, frames } = this.nextBatch();
      const outcome = await this.write(commit);
      if (!outcome.written) {
        this.lose(outcome.reason, true);
        return;
      }
      this.tally = outcome.tally;
      this.queuedFrames -= frames;
      if (commit.checkpoint) this.checkpointTakenAt = commit.checkpoint.taken_at;
      this.wake();
    }
  }

  /** Takes the queue's head: its results up to a batch, the latest checkpoint and final report among them (they cover the results before them). */
  private nextBatch(): { commit: Commit; frames: number } {
    const records: NonNullable<Commit["records"]>[number][] = [];
    let checkpoint: Checkpoint | undefined;
    let finalReport: PipelineReport | undefined;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      const count = next.records?.length ?? 0;
      if (records.length > 0 && records.length + count > BATCH_FRAMES) break;
      this.queue.shift();
      records.push(...(next.records ?? []));
      checkpoint = next.checkpoint ?? checkpoint;
      finalReport = next.finalReport ?? finalReport;
    }
    return { commit: { records, checkpoint, finalReport }, frames: records.length };
  }

  /** Retried until Redis answers: an outage delays the write, never drops it. */
  private async write(commit: Commit): Promise<CommitOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.commit(this.id, commit, this.fence);
      } catch (error) {
        this.options.onError(error as Error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MS.first * 2 ** attempt, RETRY_MS.max)));
      }
    }
  }

  private lose(reason: "lease lost" | "gone", report: boolean): void {
    if (this.lost) return;
    this.lost = reason;
    this.queue.length = 0;
    this.queuedFrames = 0;
    this.wake();
    if (report) this.options.onLost(reason);
  }

  // Reads: at the start of a run, and the counters of its reports.

  get(id: string): Promise<PipelineRecord | undefined> {
    return this.store.get(id);
  }

  loadCheckpoint(id: string): Promise<Checkpoint | undefined> {
    return this.store.loadCheckpoint(id);
  }

  lastFrames(id: string): Promise<Record<number, number>> {
    return this.store.lastFrames(id);
  }

  /** As of the last write, with what is queued: the control plane reads the exact figures from Redis. */
  async resultCounts(): Promise<{ buffered: number; dropped: number }> {
    return { buffered: this.tally.appended - this.tally.consumed + this.queuedFrames, dropped: this.tally.dropped };
  }

  loadFinalReport(id: string): Promise<PipelineReport | undefined> {
    return this.store.loadFinalReport(id);
  }

  // The rest is the control plane's; a runner never calls it.

  create(record: PipelineRecord): Promise<void> {
    return this.store.create(record);
  }

  list(): Promise<PipelineRecord[]> {
    return this.store.list();
  }

  setDesired(id: string, desired: DesiredState): Promise<void> {
    return this.store.setDesired(id, desired);
  }

  remove(id: string): Promise<void> {
    return this.store.remove(id);
  }

  consume(id: string, excludedFields?: readonly string[]): Promise<Consumed> {
    return this.store.consume(id, excludedFields);
  }

  async close(): Promise<void> {}
}
