/**
 * One run of a compiled plan (spec §3): layer by layer; steps of a layer run concurrently when
 * they are async; a SIMD step runs per surviving batch element in index order (or once for the
 * whole batch through `runBatch`); skipped steps read as null and the skip cascades.
 *
 * Hot path: a scalar workflow of sync blocks runs without awaiting anything per step.
 */
import { randomUUID } from "node:crypto";
import { DEFAULT_STREAM, isFlowControl, type FlowControl, type Services, type StepContext } from "../block-api/index.js";
import type { Branch, CompiledStep, CompiledWorkflow, InputTemplate, ValueSource } from "../compiler/index.js";
import { describeValue, StepExecutionError, WorkflowError } from "../errors/index.js";
import { isWorkflowImage, type VideoMetadata } from "../images/index.js";
import type { StateStore } from "../state/store.js";

type Outputs = Record<string, unknown>;

/** A scalar step's outputs, or a batch step's outputs per element; null = skipped. */
type StepRecord = Outputs | null | (Outputs | null)[];

/** Per-element failure, when the engine isolates element errors (video pipelines). */
export interface ElementError {
  index: number;
  step: string;
  error: WorkflowError;
}

export interface RunEnvironment {
  plan: CompiledWorkflow;
  store: StateStore;
  services: Services;
  clock: () => number;
  signal: AbortSignal;
  /** Fail only the element whose step threw, not the whole run. */
  isolateElementErrors: boolean;
}

export interface RunOutcome {
  results: Record<string, unknown>[];
  /** Elements that failed (only with `isolateElementErrors`); their results hold nulls. */
  errors: ElementError[];
  /** Stream of each batch element. */
  streams: string[];
  /** Frame number of each batch element (null for an image not from video). */
  frames: (number | null)[];
  /** Whether a step's gates let every element of this run through (true for an ungated step). */
  passedGates: (step: CompiledStep) => boolean;
}

const EMPTY = Symbol("empty");

/** Whether a flow-control decision (the steps it selected; null: it terminated) takes `branch`. */
export function branchTaken(branch: Branch, selected: readonly string[] | null): boolean {
  return selected !== null && branch.selectors.some((selector) => selected.includes(selector));
}

/** The signal of a run nobody can abort. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

class Run {
  private readonly outputs = new Map<string, StepRecord>();
  private readonly branches = new Map<string, boolean | boolean[]>();
  private readonly executionId = randomUUID();
  readonly errors: ElementError[] = [];
  private readonly failed: boolean[];
  readonly streams: string[];
  readonly frames: (number | null)[];

  constructor(
    private readonly env: RunEnvironment,
    private readonly batchSize: number,
    private readonly inputs: ReadonlyMap<string, unknown>,
  ) {
    this.failed = new Array<boolean>(batchSize).fill(false);
    ({ streams: this.streams, frames: this.frames } = identifyStreams(env.plan, batchSize, inputs));
  }

  async execute(): Promise<Record<string, unknown>[]> {
    for (const layer of this.env.plan.layers) {
      this.env.signal.throwIfAborted();
      let pending: Promise<void>[] | null = null;
      for (const step of layer) {
        const maybe = step.isBatch ? this.runBatchStep(step) : this.runScalarStep(step);
        if (maybe) (pending ??= []).push(maybe);
      }
      if (pending) await Promise.all(pending);
    }
    return this.buildResults();
  }

  // ---- value resolution ---------------------------------------------------------------------

  private read(source: ValueSource, index: number): unknown {
    if (source.from === "input") {
      const value = this.inputs.get(source.input);
      return source.isBatch ? (value as unknown[])[index] : value;
    }
    const record = this.outputs.get(source.step);
    const outputs = source.isBatch ? (record as (Outputs | null)[] | undefined)?.[index] : (record as Outputs | null | undefined);
    if (source.output === "*") return outputs ?? this.allNull(source.step);
    return outputs ? outputs[source.output] : null;
  }

  private allNull(step: string): Outputs {
    return Object.fromEntries(this.env.plan.stepsByName.get(step)!.outputNames.map((name) => [name, null]));
  }

  /** Builds a step's inputs for one element; EMPTY when a step-output value is missing. */
  private materialize(template: InputTemplate, index: number, acceptsEmpty: boolean): unknown {
    switch (template.kind) {
      case "constant":
        return template.value;
      case "reference": {
        const value = this.read(template.source, index);
        if (!acceptsEmpty && template.source.from === "step" && (value === null || value === undefined)) return EMPTY;
        return value ?? null;
      }
      case "array": {
        const items: unknown[] = [];
        for (const item of template.items) {
          const value = this.materialize(item, index, acceptsEmpty);
          if (value === EMPTY) return EMPTY;
          items.push(value);
        }
        return items;
      }
      case "object": {
        const entries: Record<string, unknown> = {};
        for (const [key, item] of template.entries) {
          const value = this.materialize(item, index, acceptsEmpty);
          if (value === EMPTY) return EMPTY;
          entries[key] = value;
        }
        return entries;
      }
    }
  }

  private stepInputs(step: CompiledStep, index: number): Record<string, unknown> | null {
    const acceptsEmpty = step.block.manifest.acceptsEmptyValues === true;
    const inputs: Record<string, unknown> = {};
    for (const [key, template] of step.inputs) {
      const value = this.materialize(template, index, acceptsEmpty);
      if (value === EMPTY) return null;
      inputs[key] = value;
    }
    return inputs;
  }

  // ---- scalar steps -------------------------------------------------------------------------

  private runScalarStep(step: CompiledStep): void | Promise<void> {
    for (const gate of step.gates) {
      if (this.branches.get(gate.id) !== true) return this.skip(step);
    }
    const inputs = this.stepInputs(step, 0);
    if (!inputs) return this.skip(step);
    const context = this.context(step, null);
    const finish = (result: unknown): void => {
      this.outputs.set(step.name, this.accept(step, step.block.run ? result : (result as unknown[])[0], null));
    };
    const result = step.block.run
      ? this.call(step, () => step.block.run!(inputs, context), null)
      : this.call(step, () => step.block.runBatch!([inputs], [context]), null, true);
    if (result instanceof Promise) return result.then(finish);
    finish(result);
  }

  /** Answers `RunOutcome.passedGates` from the branch decisions alone, not holding the run's outputs. */
  gateCheck(): (step: CompiledStep) => boolean {
    const branches = this.branches;
    return (step) =>
      step.gates.every((gate) => {
        const registered = branches.get(gate.id);
        return registered === true || (Array.isArray(registered) && registered.length > 0 && registered.every(Boolean));
      });
  }

  private skip(step: CompiledStep): void {
    this.outputs.set(step.name, null);
  }

  // ---- batch (SIMD) steps -------------------------------------------------------------------

  private activeIndices(step: CompiledStep): number[] {
    const indices: number[] = [];
    outer: for (let i = 0; i < this.batchSize; i++) {
      if (this.failed[i]) continue;
      for (const gate of step.gates) {
        const registered = this.branches.get(gate.id);
        if (registered === undefined || registered === false) return [];
        if (Array.isArray(registered) && !registered[i]) continue outer;
      }
      indices.push(i);
    }
    return indices;
  }

  private runBatchStep(step: CompiledStep): void | Promise<void> {
    const record: (Outputs | null)[] = new Array<Outputs | null>(this.batchSize).fill(null);
    this.outputs.set(step.name, record);
    const elements: { index: number; inputs: Record<string, unknown> }[] = [];
    for (const index of this.activeIndices(step)) {
      const inputs = this.stepInputs(step, index);
      if (inputs) elements.push({ index, inputs });
    }
    if (elements.length === 0) return;
    if (step.block.manifest.flowControl) this.registerMasks(step);
    if (!step.block.run) return this.runWholeBatch(step, elements, record);
    return this.runElements(step, elements, record, 0);
  }

  private runElements(
    step: CompiledStep,
    elements: { index: number; inputs: Record<string, unknown> }[],
    record: (Outputs | null)[],
    from: number,
  ): void | Promise<void> {
    for (let k = from; k < elements.length; k++) {
      const { index, inputs } = elements[k];
      const context = this.context(step, index);
      let result: unknown;
      try {
        result = this.call(step, () => step.block.run!(inputs, context), index);
      } catch (error) {
        this.failElement(step, index, error);
        continue;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            record[index] = this.acceptElement(step, value, index);
            return this.runElements(step, elements, record, k + 1);
          },
          (error: unknown) => {
            this.failElement(step, index, error);
            return this.runElements(step, elements, record, k + 1);
          },
        );
      }
      record[index] = this.acceptElement(step, result, index);
    }
  }

  private async runWholeBatch(step: CompiledStep, elements: { index: number; inputs: Record<string, unknown> }[], record: (Outputs | null)[]): Promise<void> {
    const contexts = elements.map(({ index }) => this.context(step, index));
    let results: unknown;
    try {
      results = await this.call(
        step,
        () =>
          step.block.runBatch!(
            elements.map((e) => e.inputs),
            contexts,
          ),
        null,
        true,
      );
    } catch (error) {
      for (const { index } of elements) this.failElement(step, index, error);
      return;
    }
    const list = results as unknown[];
    elements.forEach(({ index }, k) => {
      record[index] = this.acceptElement(step, list[k], index);
    });
  }

  private acceptElement(step: CompiledStep, result: unknown, index: number): Outputs | null {
    try {
      return this.accept(step, result, index);
    } catch (error) {
      this.failElement(step, index, error);
      return null;
    }
  }

  private failElement(step: CompiledStep, index: number, error: unknown): void {
    if (!this.env.isolateElementErrors || !(error instanceof WorkflowError)) throw error;
    this.failed[index] = true;
    this.errors.push({ index, step: step.name, error });
  }

  // ---- calling blocks -----------------------------------------------------------------------

  /** Calls a block, turning whatever it throws into a workflow error that says where. */
  private call(step: CompiledStep, invoke: () => unknown, index: number | null, expectList = false): unknown {
    const wrap = (error: unknown): never => {
      throw this.wrapError(step, error, index);
    };
    const check = (value: unknown): unknown => {
      if (expectList && !Array.isArray(value)) {
        return wrap(new Error(`runBatch must return a list of results`));
      }
      return value;
    };
    try {
      const result = invoke();
      if (result instanceof Promise) return result.then(check, wrap);
      return check(result);
    } catch (error) {
      return wrap(error);
    }
  }

  private wrapError(step: CompiledStep, error: unknown, index: number | null): WorkflowError {
    const where = this.describeElement(index);
    if (error instanceof WorkflowError) {
      error.context ??= `step_execution | $steps.${step.name}${where}`;
      return error;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new StepExecutionError(`Error during execution of step: $steps.${step.name}${where}. Details: ${message}`, {
      context: `workflow_execution | step_output_registration`,
      inner: error,
      blockId: step.name,
      blockType: step.block.manifest.type,
    });
  }

  private describeElement(index: number | null): string {
    if (index === null) return "";
    const frame = this.frames[index];
    const stream = this.streams[index];
    if (frame === null) return this.batchSize > 1 ? ` (batch element ${index})` : "";
    return ` (stream ${stream}, frame ${frame})`;
  }

  /** Checks the block kept its contract and registers what it returned. */
  private accept(step: CompiledStep, result: unknown, index: number | null): Outputs | null {
    if (step.block.manifest.flowControl) {
      if (!isFlowControl(result)) {
        throw this.wrapError(step, new Error(`flow-control block ${step.block.manifest.type} must return selectSteps(...) or terminateBranch()`), index);
      }
      this.registerDecision(step, result, index);
      return {};
    }
    if (typeof result !== "object" || result === null || Array.isArray(result) || isFlowControl(result)) {
      throw this.wrapError(step, new Error(`block returned ${describeValue(result)} instead of its outputs`), index);
    }
    const outputs = result as Outputs;
    const keys = Object.keys(outputs);
    if (keys.length !== step.outputNames.length || !step.outputNames.every((name) => name in outputs)) {
      throw this.wrapError(step, new Error(`block returned outputs [${keys.join(", ")}], but declares [${step.outputNames.join(", ")}]`), index);
    }
    return outputs;
  }

  // ---- flow control -------------------------------------------------------------------------

  private registerMasks(step: CompiledStep): void {
    for (const branch of step.branches) this.branches.set(branch.id, new Array<boolean>(this.batchSize).fill(false));
  }

  private registerDecision(step: CompiledStep, decision: FlowControl, index: number | null): void {
    for (const branch of step.branches) {
      const taken = branchTaken(branch, decision.next);
      if (index === null) this.branches.set(branch.id, taken);
      else (this.branches.get(branch.id) as boolean[])[index] = taken;
    }
  }

  // ---- context and outputs ------------------------------------------------------------------

  private context(step: CompiledStep, index: number | null): StepContext<unknown> {
    return new ElementContext(
      this.env,
      step,
      index === null ? DEFAULT_STREAM : this.streams[index],
      index === null ? null : this.frames[index],
      index,
      this.executionId,
    );
  }

  private buildResults(): Record<string, unknown>[] {
    const { outputs, hasBatchOutputs } = this.env.plan;
    if (!hasBatchOutputs) {
      const result: Record<string, unknown> = {};
      for (const output of outputs) result[output.name] = this.read(output.source, 0) ?? null;
      return [result];
    }
    const results: Record<string, unknown>[] = [];
    for (let i = 0; i < this.batchSize; i++) {
      const result: Record<string, unknown> = {};
      for (const output of outputs) result[output.name] = this.failed[i] && output.source.isBatch ? null : (this.read(output.source, i) ?? null);
      results.push(result);
    }
    return results;
  }
}

/** What a block sees of the engine for one element; state reads and writes go to the store. */
class ElementContext implements StepContext<unknown> {
  readonly step: string;
  readonly blockType: string;
  readonly shared: StateStore;
  readonly services: Services;
  readonly signal: AbortSignal;
  readonly now: () => number;
  private readonly key: string | null;

  constructor(
    private readonly env: RunEnvironment,
    private readonly compiled: CompiledStep,
    readonly stream: string,
    readonly frameNumber: number | null,
    readonly index: number | null,
    readonly executionId: string,
  ) {
    this.step = compiled.name;
    this.blockType = compiled.block.manifest.type;
    this.shared = env.store;
    this.services = env.services;
    this.signal = env.signal;
    this.now = env.clock;
    const spec = compiled.block.state;
    this.key = spec ? env.store.keyFor(stream, spec.scope === "step") : null;
  }

  get state(): unknown {
    const spec = this.compiled.block.state;
    return spec && this.key !== null ? this.env.store.get(this.step, this.key, spec.initial) : undefined;
  }

  set state(value: unknown) {
    if (this.key !== null) this.env.store.set(this.step, this.key, value);
  }
}

/**
 * The stream of element i: the `video_identifier` the element's workflow image carries (or its
 * video-metadata input); `DEFAULT_STREAM` for images without video metadata of their own.
 */
export function identifyStreams(
  plan: CompiledWorkflow,
  batchSize: number,
  inputs: ReadonlyMap<string, unknown>,
): { streams: string[]; frames: (number | null)[] } {
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

export async function executeRun(env: RunEnvironment, batchSize: number, inputs: ReadonlyMap<string, unknown>): Promise<RunOutcome> {
  const run = new Run(env, batchSize, inputs);
  env.store.touch(run.streams, env.clock());
  const results = await run.execute();
  return { results, errors: run.errors, streams: run.streams, frames: run.frames, passedGates: run.gateCheck() };
}
