/**
 * The block contract. A block is declared once with `defineBlock`: its `type` id, a zod schema
 * of its properties, its outputs with kinds, a few flags, and `run`. Blocks keep no state of
 * their own: a stateful block declares its state's schema and reads and writes `ctx.state`,
 * which the engine scopes per (step, stream), bounds, evicts, snapshots and checks on restore.
 */
import type { z } from "zod";
import type { DataSelector, Resolved } from "./selectors.js";
import type { Services } from "./services.js";

export interface OutputDefinition {
  readonly name: string;
  readonly kinds: readonly string[];
}

/** What a flow-control block returns: the step selectors to run next, or `null` to stop the branch. */
export interface FlowControl {
  readonly flowControl: true;
  readonly next: readonly string[] | null;
}

export function selectSteps(steps: readonly string[]): FlowControl {
  return { flowControl: true, next: steps };
}

export function terminateBranch(): FlowControl {
  return { flowControl: true, next: null };
}

export function isFlowControl(value: unknown): value is FlowControl {
  return typeof value === "object" && value !== null && (value as FlowControl).flowControl === true;
}

/** Engine-wide key–value namespaces (upstream's process-global cache), snapshotted with the state. */
export interface SharedState {
  namespace(name: string): Record<string, unknown>;
}

export interface StepContext<S = undefined> {
  /** The step's name in the definition. */
  readonly step: string;
  readonly blockType: string;
  /**
   * The stream this element belongs to: the `video_identifier` of the workflow image it
   * descends from, or `DEFAULT_STREAM`.
   */
  readonly stream: string;
  /** Frame number of the element's image, when it came from video; otherwise null. */
  readonly frameNumber: number | null;
  /** Index of the element in the batch, or null for a scalar (non-batch) step. */
  readonly index: number | null;
  /** Per (step, stream) state owned by the engine; plain JSON data. Assign to replace it. */
  state: S;
  readonly shared: SharedState;
  readonly services: Services;
  readonly signal: AbortSignal;
  /** Unique per `engine.run()` call. */
  readonly executionId: string;
  /** Wall clock in milliseconds; injectable for tests. */
  now(): number;
}

export const DEFAULT_STREAM = "default";

export type OutputValues<O extends readonly OutputDefinition[]> = { [K in O[number]["name"]]: unknown };

/**
 * What `run` returns for an element: its outputs; a decision for a flow-control block; a list of
 * outputs, one per nested element, for a block that `increasesDimensionality` (the engine checks
 * which at run time).
 */
export type BlockResult<O extends readonly OutputDefinition[]> = OutputValues<O> | FlowControl | readonly OutputValues<O>[];

export interface BlockManifest<P extends z.ZodObject, O extends readonly OutputDefinition[]> {
  /** The step `type` id, e.g. `roboflow_core/expression@v1`. */
  readonly type: string;
  /** Other `type` values that select this block, e.g. `Expression`. */
  readonly aliases?: readonly string[];
  /** Human-friendly name shown in the editor. */
  readonly name: string;
  /** Block family, the folder under `blocks/` (formatters, flow_control, sampling, …). */
  readonly family: string;
  readonly description: string;
  /** The step's properties (every key of the step except `type` and `name`). */
  readonly properties: P;
  /** Alternative property names accepted on input, e.g. `{ image: "images" }`. */
  readonly propertyAliases?: Readonly<Record<string, string>>;
  readonly outputs: O;
  /** Execution-engine versions the block works with (PEP 440 specifier). */
  readonly compatibility?: string;
  /** Run even when some input is null (a skipped producer); default false. */
  readonly acceptsEmptyValues?: boolean;
  /** `run` returns `selectSteps()` / `terminateBranch()` instead of outputs. */
  readonly flowControl?: boolean;
  /**
   * Upstream's output dimensionality offset of 1 (a crop): `run` returns a list of outputs per
   * element, and each becomes an element of a batch one level deeper, which the steps reading
   * them run on (docs/architecture.md#dimensionality).
   */
  readonly increasesDimensionality?: boolean;
  /** Notes for users on where the block is meaningful (e.g. "needs a long-lived engine"). */
  readonly restrictions?: readonly string[];
}

/**
 * A step's properties as written in the definition, where they are literals: a property given
 * by a selector is absent, since its value is known only at run time.
 */
export type LiteralProperties<P extends z.ZodObject> = { readonly [K in keyof z.output<P>]?: Exclude<z.output<P>[K], DataSelector<string>> };

export interface StateSpec<S, P extends z.ZodObject = z.ZodObject> {
  /**
   * The shape of one state; the state's type is this schema's output. A snapshot is checked
   * against it before the engine restores it (docs/reference/cli.md#state-files), so it says
   * what `run` relies on: counts ≥ 0, finite numbers, vectors of one length, bounded lists.
   */
  readonly schema: z.ZodType<S>;
  /**
   * What the step's literal properties allow besides `schema` (a window no longer than its
   * `window_size`), as a schema a restored state must pass too.
   */
  bounds?(properties: LiteralProperties<P>): z.ZodType;
  /** Fresh state for a new (step, stream). Must be plain JSON data and pass `schema`. */
  initial(): S;
  /**
   * `"stream"` (default): one state per (step, stream). `"step"` is only for blocks whose
   * upstream semantics need a state spanning streams; the engine's `stateScope: "step"`
   * option forces it for every block.
   */
  readonly scope?: "stream" | "step";
}

export interface BlockDefinition<P extends z.ZodObject = z.ZodObject, O extends readonly OutputDefinition[] = readonly OutputDefinition[], S = undefined> {
  readonly manifest: BlockManifest<P, O>;
  readonly state?: StateSpec<S, P>;
  /** One batch element (or the single value of a scalar step). */
  run?(inputs: Resolved<z.output<P>>, ctx: StepContext<S>): BlockResult<O> | Promise<BlockResult<O>>;
  /**
   * All surviving elements of a batch at once (e.g. one model inference for every frame of a
   * tick). Results are aligned with `inputs`. When both are given, `runBatch` must give the
   * same results `run` would, element by element; a block with only `runBatch` sees scalars
   * as a batch of one.
   */
  runBatch?(inputs: Resolved<z.output<P>>[], ctx: StepContext<S>[]): Promise<BlockResult<O>[]> | BlockResult<O>[];
  /**
   * A hint that the step will soon run on these inputs (e.g. the next frames of a video file
   * while the current ones are still in the workflow): start work that depends on the inputs
   * only — an inference — so that `run`/`runBatch` finds it done. The engine calls it only for
   * steps that will run on exactly these inputs (not gated by flow control, fed by workflow
   * inputs and literals only). Must not touch state, and never throw.
   */
  warm?(inputs: Resolved<z.output<P>>[], services: Services): void;
  /**
   * For flow-control blocks: `run` is synchronous and depends on nothing but its inputs, its
   * state and `ctx.now()`, and changes nothing but `ctx.state`. The engine may then run it ahead
   * on a copy of its state to forecast which upcoming frames its branches will let through, and
   * warm the steps behind them (e.g. CLIP behind a rate limiter).
   */
  readonly deterministic?: boolean;
  /**
   * The block uses nothing of the images it receives but their size and video metadata: it
   * never reads their pixels, keeps them in its state or passes them on (a rate limiter on
   * video time). A video pipeline need not decode the pixels of frames only such steps see.
   */
  readonly imagesMetadataOnly?: boolean;
  /**
   * Acquires what a step needs before its first run (e.g. a sandbox for custom code). The engine
   * calls it from `engine.ready()`, which the first run awaits; what it throws is a compile error.
   * `signal` aborts when the engine is closed first: stop waiting for what is not there yet.
   */
  prepare?(step: StepInfo, services: Services, signal: AbortSignal): Promise<void>;
  /** Releases what `prepare`/`run` acquired; called by `engine.close()`. */
  dispose?(): Promise<void>;
}

export interface StepInfo {
  readonly name: string;
  readonly blockType: string;
}

/** A block with its generics erased, as the registry and the engine hold it. */
export interface Block {
  readonly manifest: BlockManifest<z.ZodObject, readonly OutputDefinition[]>;
  readonly state?: StateSpec<unknown>;
  run?(inputs: Record<string, unknown>, ctx: StepContext<unknown>): unknown;
  runBatch?(inputs: Record<string, unknown>[], ctx: StepContext<unknown>[]): unknown;
  warm?(inputs: Record<string, unknown>[], services: Services): void;
  readonly deterministic?: boolean;
  readonly imagesMetadataOnly?: boolean;
  prepare?(step: StepInfo, services: Services, signal: AbortSignal): Promise<void>;
  dispose?(): Promise<void>;
}

export function defineBlock<P extends z.ZodObject, const O extends readonly OutputDefinition[], S = undefined>(definition: BlockDefinition<P, O, S>): Block {
  if (!definition.run && !definition.runBatch) {
    throw new TypeError(`block ${definition.manifest.type} defines neither run nor runBatch`);
  }
  // a schema its own initial state fails would refuse every snapshot the block takes
  if (definition.state && !definition.state.schema.safeParse(definition.state.initial()).success) {
    throw new TypeError(`block ${definition.manifest.type}: its initial state does not fit its state schema`);
  }
  return definition;
}
