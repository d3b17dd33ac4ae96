/**
 * A compiled workflow ready to run many times. One engine keeps block state across runs (that
 * is where the stream blocks work), per stream unless `stateScope: "step"`.
 */
import { Services } from "../block-api/index.js";
import { ExecutionEngineRuntimeError } from "../errors/index.js";
import type { CompiledWorkflow } from "../compiler/index.js";
import { DEFAULT_IMAGE_LOAD_OPTIONS, type ImageLoadOptions } from "../images/codec.js";
import { DEFAULT_STATE_OPTIONS, StateStore, type EngineSnapshot, type StateScope } from "../state/store.js";
import { assembleInputs, checkParameterProperties } from "./inputs.js";
import { NEVER_ABORTED } from "./interpreter.js";
import { executeRun, type ElementError, type RunOutcome } from "./run.js";
import { serialiseResults, type SerialiseOptions } from "./serialise.js";
import { planPixelDemand, type PixelDemand } from "./demand.js";
import { checkSnapshot } from "./snapshot.js";
import { Warmer } from "./warm.js";

export interface EngineOptions {
  /** Model runtimes and other shared services; pass one to several engines to share models. */
  services?: Services;
  /** `"stream"` (default): state per (step, stream). `"step"`: one state per step, as upstream. */
  stateScope?: StateScope;
  /** A stream idle for this long loses its state (default 30 min). */
  streamIdleTimeoutMs?: number;
  /** At most this many streams keep state (default 1024). */
  maxStreams?: number;
  /**
   * State to start from (from `engine.snapshot()`), checked before it is restored: a snapshot of
   * another definition or scope, or one whose envelope or step states are not what the blocks
   * could have written, is a `SnapshotError` naming the field.
   */
  snapshot?: EngineSnapshot;
  /** Wall clock in ms; injectable for tests. */
  clock?: () => number;
  /** How image inputs may be loaded (local files, URLs). */
  imageLoading?: Partial<ImageLoadOptions>;
  /**
   * When one batch element fails in a step, fail that element only (its results hold nulls and
   * the error is reported) instead of the whole run. Used by video pipelines.
   */
  isolateElementErrors?: boolean;
}

export interface RunOptions {
  signal?: AbortSignal;
}

export class WorkflowEngine {
  private readonly store: StateStore;
  readonly services: Services;
  /** Services the engine created itself are its to close; given ones belong to the caller. */
  private readonly ownsServices: boolean;
  private preparing: Promise<void> | null = null;
  /** Aborted by `close()`: preparation still waiting for something gives up. */
  private readonly closing = new AbortController();
  private readonly needsPreparation: boolean;
  private closed = false;
  /** Runs started, counting those of the engine a snapshot came from. */
  private runs = 0;
  private readonly warmer: Warmer;
  private readonly clock: () => number;
  private readonly imageLoading: ImageLoadOptions;
  private readonly isolateElementErrors: boolean;

  constructor(
    readonly plan: CompiledWorkflow,
    options: EngineOptions = {},
  ) {
    this.store = new StateStore({
      scope: options.stateScope ?? DEFAULT_STATE_OPTIONS.scope,
      idleTimeoutMs: options.streamIdleTimeoutMs ?? DEFAULT_STATE_OPTIONS.idleTimeoutMs,
      maxStreams: options.maxStreams ?? DEFAULT_STATE_OPTIONS.maxStreams,
    });
    if (options.snapshot !== undefined) {
      const snapshot = checkSnapshot(options.snapshot, plan, this.store);
      this.store.restore(snapshot);
      this.runs = snapshot.runs;
    }
    this.services = options.services ?? new Services();
    this.ownsServices = options.services === undefined;
    this.needsPreparation = plan.steps.some((step) => step.block.prepare !== undefined);
    this.clock = options.clock ?? Date.now;
    this.warmer = new Warmer(plan, this.store, this.services, this.clock);
    this.imageLoading = { ...DEFAULT_IMAGE_LOAD_OPTIONS, ...options.imageLoading };
    this.isolateElementErrors = options.isolateElementErrors ?? false;
  }

  /** Runs once; results are raw values (images as `WorkflowImage`). */
  async run(inputs: Record<string, unknown>, options: RunOptions = {}): Promise<Record<string, unknown>[]> {
    return (await this.runDetailed(inputs, options)).results;
  }

  /**
   * Lets every block acquire what it needs (e.g. custom-code sandboxes); what fails here is a
   * compile-time error. The first run awaits it; call it yourself to fail early.
   */
  ready(): Promise<void> {
    this.preparing ??= (async () => {
      await Promise.all(
        this.plan.steps
          .filter((step) => step.block.prepare !== undefined)
          .map((step) => step.block.prepare!({ name: step.name, blockType: step.block.manifest.type }, this.services, this.closing.signal)),
      );
    })();
    return this.preparing;
  }

  /**
   * `ready()`, given up when the run's signal aborts (preparing may wait for shared resources,
   * e.g. sandbox threads); closing the engine then releases what is still being prepared.
   */
  private async readyUnlessAborted(signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.ready();
    signal.throwIfAborted();
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([this.ready(), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * A hint that `run(inputs)` comes next (e.g. the next frames of a video file): steps fed only
   * by workflow inputs start their stateless work — CLIP's inference — now, overlapping the
   * current run; a step behind flow control for the elements its gates will probably let
   * through (see `Warmer`). Call it once per upcoming run, in the order of the runs. Never
   * throws; inputs that still need decoding are ignored.
   */
  warm(inputs: Record<string, unknown>): void {
    if (!this.closed) this.warmer.warm(inputs);
  }

  /**
   * Gets a later run's inputs ready while the current run goes on — images loaded and decoded
   * (e.g. the next line of a JSON Lines file) — and warms the engine with them (see `warm`), so
   * that run starts on work already done or under way. Pass what it returns to `run`, in the
   * order the runs will come. Never rejects: inputs it cannot prepare come back as given, and
   * `run` reports what is wrong with them.
   */
  async prepare(inputs: Record<string, unknown>, options: RunOptions = {}): Promise<Record<string, unknown>> {
    if (this.closed) return inputs;
    try {
      const assembled = await assembleInputs(this.plan, inputs, { ...this.imageLoading, signal: options.signal });
      const prepared = { ...inputs, ...Object.fromEntries(assembled.values) };
      this.warm(prepared);
      return prepared;
    } catch {
      return inputs;
    }
  }

  /**
   * Which upcoming frames of a stream some step will read the pixels of (see `PixelDemand`), for
   * a video pipeline whose frames come as `imageInput` and whose other inputs are `params`; null
   * when that cannot be known ahead, i.e. every frame's pixels may be read.
   */
  pixelDemand(imageInput: string, params: Readonly<Record<string, unknown>> = {}): PixelDemand | null {
    return planPixelDemand(this.plan, { store: this.store, services: this.services, clock: this.clock }, imageInput, params);
  }

  /** Releases blocks' resources (and the services, when the engine created them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new ExecutionEngineRuntimeError("the engine is closed"));
    await this.preparing?.catch(() => undefined);
    const blocks = new Set(this.plan.steps.map((step) => step.block));
    await Promise.allSettled([...blocks].filter((block) => block.dispose !== undefined).map((block) => block.dispose!()));
    if (this.ownsServices) await this.services.close();
  }

  /** Like `run`, also reporting failed elements and the stream of each element. */
  async runDetailed(inputs: Record<string, unknown>, options: RunOptions = {}): Promise<RunOutcome> {
    if (this.closed) throw new ExecutionEngineRuntimeError("the engine is closed");
    if (this.needsPreparation) await this.readyUnlessAborted(options.signal);
    this.runs++;
    const assembled = await assembleInputs(this.plan, inputs, { ...this.imageLoading, signal: options.signal });
    checkParameterProperties(this.plan, assembled.values);
    const outcome = await executeRun(
      {
        plan: this.plan,
        store: this.store,
        services: this.services,
        clock: this.clock,
        signal: options.signal ?? NEVER_ABORTED,
        isolateElementErrors: this.isolateElementErrors,
      },
      assembled.batchSize,
      assembled.values,
    );
    this.warmer.observe(outcome);
    return outcome;
  }

  /** Runs once and serialises the results as the HTTP API returns them. */
  async runSerialised(inputs: Record<string, unknown>, options: RunOptions & SerialiseOptions = {}): Promise<Record<string, unknown>[]> {
    return serialiseResults(await this.run(inputs, options), options);
  }

  /** All block state as JSON; pass it as `snapshot` when compiling to continue from here. */
  snapshot(): EngineSnapshot {
    return this.store.snapshot(this.plan.hash, this.clock(), this.runs);
  }

  /** Streams that currently hold state. */
  activeStreams(): string[] {
    return this.store.streams();
  }
}

export type { ElementError, RunOutcome };
