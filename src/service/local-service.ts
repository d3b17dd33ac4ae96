/**
 * Every pipeline in this process, on one store (docs/guides/service.md#one-process): the memory
 * store (pipelines live as long as the process) or a data folder (they survive restarts and
 * crashes: `resumeAll` at start picks up each one from its last checkpoint). Pipelines are
 * independent: starting, failing or terminating one never touches another.
 */
import { randomUUID } from "node:crypto";
import { RuntimeInputError, toErrorBody, type WorkflowErrorBody } from "../errors/index.js";
import { HttpError, tooManyRequests } from "../errors/http.js";
import { pipelineReport, PipelineRunner, restingStatus } from "./runner.js";
import type { EventStore } from "../events/index.js";
import type { WorkflowEngine } from "../executor/engine.js";
import type { EngineSnapshot } from "../state/store.js";
import type {
  Checkpoint,
  Consumed,
  EngineMaker,
  FrameErrorCounter,
  PipelineEvent,
  PipelineRecord,
  PipelineService,
  PipelineSpec,
  PipelineStore,
  PipelineSummary,
  ServiceLog,
  Subscription,
} from "./types.js";
import type { PipelineReport } from "./upstream-report.js";

export interface LocalServiceOptions {
  store: PipelineStore;
  engines: EngineMaker;
  maxPipelines: number;
  onFrameError?: FrameErrorCounter;
  log?: ServiceLog;
  checkpointEveryTicks?: number;
  checkpointIntervalMs?: number;
  /** On close: checkpoint and stop (durable stores), or terminate (memory). */
  durable: boolean;
  /** Where flagged frames become events (docs/reference/events.md); none: no events. */
  events?: EventStore;
}

/** Upstream's error for an unknown pipeline id. */
export function pipelineNotFound(id: string): HttpError {
  return new HttpError(404, "ProcessesManagerNotFoundError", `No inference pipeline "${id}" (never started, or already terminated).`, {
    context: "pipeline_management",
  });
}

export class LocalPipelineService implements PipelineService {
  private readonly runners = new Map<string, PipelineRunner>();
  /** Pipelines that could not resume at start, why, and how far they had got. */
  private readonly unresumable = new Map<string, { failure: WorkflowErrorBody; checkpoint?: Checkpoint }>();
  private closing = false;
  /** Pipelines `resumeAll` has not resumed yet, each with its resumption. */
  private readonly pending = new Map<string, Promise<void>>();
  private resuming: Promise<void> = Promise.resolve();

  constructor(private readonly options: LocalServiceOptions) {}

  /**
   * Resumes every stored pipeline whose run had not ended, paused ones paused, one after another
   * in the background: it returns once each is listed (its status says `starting` until it runs;
   * a request to pause, resume, terminate, consume or watch it waits for it), so that a server
   * answers while its models load. A pipeline that cannot resume (its definition no longer
   * compiles, its checkpoint is damaged) fails alone: its status says failed and why until it is
   * terminated, and the next start tries again.
   */
  async resumeAll(): Promise<void> {
    let previous = this.resuming;
    for (const record of await this.options.store.list()) {
      if (this.pending.has(record.id) || this.runners.has(record.id) || (await this.options.store.loadFinalReport(record.id))) continue;
      const resumed = previous.then(() => this.resumeOne(record.id));
      this.pending.set(record.id, resumed);
      previous = resumed;
    }
    this.resuming = previous;
  }

  /** Settles when every pipeline `resumeAll` found runs (or has failed to resume). */
  get resumed(): Promise<void> {
    return this.resuming;
  }

  /** Never throws: a pipeline that cannot resume is recorded as such. */
  private async resumeOne(id: string): Promise<void> {
    let checkpoint: Checkpoint | undefined;
    try {
      // As it is now: a request may have paused it meanwhile.
      const record = await this.options.store.get(id);
      if (!record || this.closing) return;
      checkpoint = await this.options.store.loadCheckpoint(id);
      await this.launch(record, checkpoint);
    } catch (error) {
      this.options.log?.error({ pipeline_id: id, reason: (error as Error).message }, "pipeline could not resume");
      this.unresumable.set(id, { failure: toErrorBody(error), checkpoint });
    } finally {
      this.pending.delete(id);
    }
  }

  async start(spec: PipelineSpec): Promise<string> {
    await this.makeRoom();
    const record: PipelineRecord = { id: randomUUID(), created_at: new Date().toISOString(), spec, desired: "running" };
    const engine = await this.readyEngine(record);
    await this.options.store.create(record);
    this.runners.set(record.id, await this.runner(record, engine));
    return record.id;
  }

  private async launch(record: PipelineRecord, checkpoint: Checkpoint | undefined): Promise<void> {
    const engine = await this.readyEngine(record, checkpoint?.engine);
    const runner = await this.runner(record, engine, checkpoint);
    this.runners.set(record.id, runner);
    if (record.desired === "paused") await runner.pause();
  }

  private readyEngine(record: PipelineRecord, snapshot?: EngineSnapshot): Promise<WorkflowEngine> {
    return readyEngine(this.options.engines, record, snapshot);
  }

  private runner(record: PipelineRecord, engine: WorkflowEngine, checkpoint?: Checkpoint): Promise<PipelineRunner> {
    const { store, onFrameError, log, checkpointEveryTicks, checkpointIntervalMs, events } = this.options;
    return PipelineRunner.start({ record, checkpoint, store, engine, onFrameError, log, checkpointEveryTicks, checkpointIntervalMs, events });
  }

  private makeRoom(): Promise<void> {
    return makeRoom(this.options.store, this.options.maxPipelines, async (id) => {
      this.runners.delete(id);
      await this.options.store.remove(id);
    });
  }

  /** The pipeline's record, once it has resumed if it was resuming; 404 when there is none. */
  private async record(id: string): Promise<PipelineRecord> {
    await this.pending.get(id);
    const record = await this.options.store.get(id);
    if (!record) throw pipelineNotFound(id);
    return record;
  }

  async list(): Promise<PipelineSummary[]> {
    const records = await this.options.store.list();
    return Promise.all(records.map(async (record) => ({ ...summaryOf(record, await this.report(record.id)), worker: "local" })));
  }

  async report(id: string): Promise<PipelineReport> {
    const runner = this.runners.get(id);
    if (runner) return runner.report();
    const resuming = this.pending.has(id) ? await this.options.store.get(id) : undefined;
    if (resuming) return pipelineReport(resuming, restingStatus("starting", null), await this.options.store.resultCounts(id), []);
    const record = await this.record(id);
    const unresumable = this.unresumable.get(id);
    if (unresumable) {
      const { failure, checkpoint } = unresumable;
      return pipelineReport(record, restingStatus("failed", failure, checkpoint), await this.options.store.resultCounts(id), checkpoint?.source_events ?? []);
    }
    const final = await this.options.store.loadFinalReport(id);
    if (!final) throw pipelineNotFound(id);
    const results = await this.options.store.resultCounts(id);
    return { ...final, buffered_results: results.buffered, results_dropped: results.dropped };
  }

  async reports(): Promise<PipelineReport[]> {
    const records = await this.options.store.list();
    return Promise.all(records.map((record) => this.report(record.id)));
  }

  async pause(id: string): Promise<void> {
    await this.record(id);
    await this.options.store.setDesired(id, "paused");
    await this.runners.get(id)?.pause();
  }

  async resume(id: string): Promise<void> {
    await this.record(id);
    await this.options.store.setDesired(id, "running");
    this.runners.get(id)?.resume();
  }

  async terminate(id: string): Promise<void> {
    await this.record(id);
    const runner = this.runners.get(id);
    this.runners.delete(id);
    this.unresumable.delete(id);
    await this.options.store.remove(id);
    await runner?.terminate();
  }

  async consume(id: string, excludedFields?: readonly string[]): Promise<Consumed> {
    await this.record(id);
    return this.options.store.consume(id, excludedFields);
  }

  async subscribe(id: string, listener: (event: PipelineEvent) => void): Promise<Subscription> {
    await this.record(id);
    const runner = this.runners.get(id);
    if (!runner || runner.ended) return { unsubscribe: () => undefined, ended: true };
    return { unsubscribe: runner.subscribe(listener), ended: false };
  }

  /** Durable: checkpoints and stops every run, to resume at the next start. Memory: terminates them. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Pipelines not resumed yet stay as they are on disk; the one resuming now is stopped below.
    await this.resuming;
    const all = [...this.runners.values()];
    this.runners.clear();
    await Promise.allSettled(all.map((runner) => (this.options.durable ? runner.suspend() : runner.terminate())));
    await this.options.store.close();
  }
}

export function summaryOf(record: PipelineRecord, report: PipelineReport): Omit<PipelineSummary, "worker"> {
  return { pipeline_id: record.id, state: report.state, created_at: record.created_at };
}

/** Compiles and readies a pipeline's engine (custom code included); a compile error is thrown before anything starts. */
export async function readyEngine(engines: EngineMaker, record: PipelineRecord, snapshot?: EngineSnapshot): Promise<WorkflowEngine> {
  const engine = engines(record.spec.specification, snapshot);
  try {
    requireImageInput(engine, record.spec.imageInputName);
    await engine.ready();
    return engine;
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** The workflow input the frames go to must exist. */
export function requireImageInput(engine: WorkflowEngine, name: string): void {
  if (!engine.plan.inputsByName.has(name)) {
    throw new RuntimeInputError(`The workflow has no input named "${name}" for the video frames; declare one or set image_input_name.`, {
      context: "pipeline_initialisation",
    });
  }
}

/** When the store holds its maximum, the oldest pipeline that has already ended is forgotten to make room; if none has, 429. */
export async function makeRoom(store: PipelineStore, maxPipelines: number, forget: (id: string) => Promise<void>): Promise<void> {
  const records = await store.list();
  if (records.length < maxPipelines) return;
  for (const record of records) {
    if (await store.loadFinalReport(record.id)) {
      await forget(record.id);
      return;
    }
  }
  throw tooManyRequests(`The server runs its maximum of ${maxPipelines} pipelines. Terminate one (POST /inference_pipelines/{id}/terminate) first.`);
}
