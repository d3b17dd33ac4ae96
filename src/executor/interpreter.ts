/**
 * How the executor reads the compiled plan for one element of a batch. The real run (run.ts),
 * the warm-up (warm.ts) and the pixel demand (demand.ts) all go through these functions, so a
 * forecast asks the plan exactly what the run asks it:
 *   - the stream and frame number of each batch element;
 *   - a step's inputs for an element, built from its input templates;
 *   - whether a step's flow-control gates let an element through;
 *   - what a block sees of the engine for an element (its context).
 *
 * An element is named by its index in the batch for a batch (SIMD) step, and by null for a
 * scalar step, which runs once for the whole batch.
 */
import { DEFAULT_STREAM, type Services, type StepContext } from "../block-api/index.js";
import type { Branch, CompiledStep, CompiledWorkflow, InputTemplate, ValueSource } from "../compiler/index.js";
import { isWorkflowImage, type VideoMetadata } from "../images/index.js";
import type { StateStore } from "../state/store.js";

// ---- batch elements -------------------------------------------------------------------------

/** The stream and the frame number (null for an image not from video) of each batch element. */
export interface BatchStreams {
  streams: string[];
  frames: (number | null)[];
}

/**
 * The stream of element i: the `video_identifier` the element's workflow image carries (or its
 * video-metadata input); `DEFAULT_STREAM` for images without video metadata of their own.
 */
export function identifyStreams(plan: CompiledWorkflow, batchSize: number, inputs: ReadonlyMap<string, unknown>): BatchStreams {
  const streams = new Array<string>(batchSize).fill(DEFAULT_STREAM);
  const frames = new Array<number | null>(batchSize).fill(null);
  for (let i = 0; i < batchSize; i++) {
    for (const input of plan.inputs) {
      if (!input.isBatch) continue;
      let metadata: VideoMetadata | null = null;
      const element = (inputs.get(input.name) as unknown[])[i];
      if (input.role === "image" && isWorkflowImage(element)) metadata = element.ownVideoMetadata;
      else if (input.role === "video_metadata") metadata = element as VideoMetadata;
      if (metadata) {
        streams[i] = metadata.video_identifier;
        frames[i] = metadata.frame_number;
        break;
      }
    }
  }
  return { streams, frames };
}

/** The elements a step runs on in a batch of `batchSize`: every index for a batch step, null once for a scalar step. */
export function stepElements(step: CompiledStep, batchSize: number): (number | null)[] {
  return step.isBatch ? Array.from({ length: batchSize }, (_, i) => i) : [null];
}

/** The stream of a step's element (a scalar step's is `DEFAULT_STREAM`). */
export function streamOf(batch: BatchStreams, index: number | null): string {
  return index === null ? DEFAULT_STREAM : batch.streams[index];
}

/** The frame number of a step's element (null for a scalar step's, or an image not from video). */
export function frameOf(batch: BatchStreams, index: number | null): number | null {
  return index === null ? null : batch.frames[index];
}

// ---- input templates ------------------------------------------------------------------------

/** What input templates read: the workflow inputs, and in the real run the outputs of the steps run so far. */
export interface Values {
  /** The value of `source` for batch element `index` (which a scalar source ignores); null or undefined when there is none. */
  read(source: ValueSource, index: number): unknown;
}

/** A workflow input's value for batch element `index`, from the inputs as assembled (a batch input holds one value per element). */
export function inputValue(inputs: ReadonlyMap<string, unknown>, source: Extract<ValueSource, { from: "input" }>, index: number): unknown {
  const value = inputs.get(source.input);
  return source.isBatch ? (value as unknown[])[index] : value;
}

/** The values known before a run: its workflow inputs, no step outputs (what forecasts read). */
export function workflowInputs(inputs: ReadonlyMap<string, unknown>): Values {
  return { read: (source, index) => (source.from === "input" ? inputValue(inputs, source, index) : undefined) };
}

const EMPTY = Symbol("empty");

/**
 * A step's inputs for one element, or null when a step output it reads is missing (null): the
 * step is then skipped for that element, unless its block accepts empty values.
 */
export function stepInputs(step: CompiledStep, values: Values, index: number | null): Record<string, unknown> | null {
  const acceptsEmpty = step.block.manifest.acceptsEmptyValues === true;
  const inputs: Record<string, unknown> = {};
  for (const [key, template] of step.inputs) {
    const value = materialize(template, values, index ?? 0, acceptsEmpty);
    if (value === EMPTY) return null;
    inputs[key] = value;
  }
  return inputs;
}

function materialize(template: InputTemplate, values: Values, index: number, acceptsEmpty: boolean): unknown {
  switch (template.kind) {
    case "constant":
      return template.value;
    case "reference": {
      const value = values.read(template.source, index);
      if (!acceptsEmpty && template.source.from === "step" && (value === null || value === undefined)) return EMPTY;
      return value ?? null;
    }
    case "array": {
      const items: unknown[] = [];
      for (const item of template.items) {
        const value = materialize(item, values, index, acceptsEmpty);
        if (value === EMPTY) return EMPTY;
        items.push(value);
      }
      return items;
    }
    case "object": {
      const entries: Record<string, unknown> = {};
      for (const [key, item] of template.entries) {
        const value = materialize(item, values, index, acceptsEmpty);
        if (value === EMPTY) return EMPTY;
        entries[key] = value;
      }
      return entries;
    }
  }
}

// ---- flow control ---------------------------------------------------------------------------

/** Whether a flow-control decision (the steps it selected; null: it terminated) takes `branch`. */
export function branchTaken(branch: Branch, selected: readonly string[] | null): boolean {
  return selected !== null && branch.selectors.some((selector) => selected.includes(selector));
}

/**
 * The branches the flow-control steps of one run (or forecast) have decided: taken or not for a
 * scalar flow-control step, a mask over the batch for a batch one. A branch nobody decided (its
 * flow-control step was skipped, or failed) is not taken.
 */
export class FlowDecisions {
  private readonly taken = new Map<string, boolean | boolean[]>();

  constructor(private readonly batchSize: number) {}

  /** Registers what a flow-control step selected for one of its elements (null: it terminated the branch). */
  register(step: CompiledStep, selected: readonly string[] | null, index: number | null): void {
    for (const branch of step.branches) {
      const taken = branchTaken(branch, selected);
      if (index === null) {
        this.taken.set(branch.id, taken);
        continue;
      }
      let mask = this.taken.get(branch.id);
      if (!Array.isArray(mask)) {
        mask = new Array<boolean>(this.batchSize).fill(false);
        this.taken.set(branch.id, mask);
      }
      mask[index] = taken;
    }
  }

  /** Whether a branch's flow-control step has decided it yet. */
  decided(branch: Branch): boolean {
    return this.taken.has(branch.id);
  }

  /** Whether a step's gates let its element through. */
  open(step: CompiledStep, index: number | null): boolean {
    for (const gate of step.gates) {
      const taken = this.taken.get(gate.id);
      if (taken !== true && !(index !== null && Array.isArray(taken) && taken[index])) return false;
    }
    return true;
  }

  /** Whether a step's gates let every element through (true for an ungated step). */
  openForAll(step: CompiledStep): boolean {
    return step.gates.every((gate) => {
      const taken = this.taken.get(gate.id);
      return taken === true || (Array.isArray(taken) && taken.length > 0 && taken.every(Boolean));
    });
  }
}

// ---- step contexts --------------------------------------------------------------------------

/** The signal of a run nobody can abort. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** Where steps' states are read and written: the engine's store, or a forecast's copy of one state. */
export interface StateCells {
  get(step: string, key: string, initial: () => unknown): unknown;
  set(step: string, key: string, value: unknown): void;
}

/** What every context of one run (or forecast) shares. */
export interface StepScope {
  /** The shared namespaces, and the keys states are kept under. */
  readonly store: StateStore;
  readonly states: StateCells;
  readonly services: Services;
  readonly clock: () => number;
  readonly signal: AbortSignal;
  readonly executionId: string;
}

/** Where the store keeps a step's state for a stream. */
export function stateKey(store: StateStore, step: CompiledStep, stream: string): string {
  return store.keyFor(stream, step.block.state?.scope === "step");
}

/** What a block sees of the engine for one element of its step. */
export function stepContext(scope: StepScope, step: CompiledStep, batch: BatchStreams, index: number | null): StepContext<unknown> {
  return new ElementContext(scope, step, streamOf(batch, index), frameOf(batch, index), index);
}

class ElementContext implements StepContext<unknown> {
  readonly step: string;
  readonly blockType: string;
  readonly shared: StateStore;
  readonly services: Services;
  readonly signal: AbortSignal;
  readonly executionId: string;
  readonly now: () => number;
  /** Null for a block without state. */
  private readonly key: string | null;

  constructor(
    private readonly scope: StepScope,
    private readonly compiled: CompiledStep,
    readonly stream: string,
    readonly frameNumber: number | null,
    readonly index: number | null,
  ) {
    this.step = compiled.name;
    this.blockType = compiled.block.manifest.type;
    this.shared = scope.store;
    this.services = scope.services;
    this.signal = scope.signal;
    this.executionId = scope.executionId;
    this.now = scope.clock;
    this.key = compiled.block.state ? stateKey(scope.store, compiled, stream) : null;
  }

  get state(): unknown {
    const spec = this.compiled.block.state;
    return spec && this.key !== null ? this.scope.states.get(this.step, this.key, () => spec.initial()) : undefined;
  }

  set state(value: unknown) {
    if (this.key !== null) this.scope.states.set(this.step, this.key, value);
  }
}
