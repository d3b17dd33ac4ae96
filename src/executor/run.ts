/**
 * One run of a compiled plan (docs/reference/workflows.md#execution): layer by layer; steps of a
 * layer run concurrently when they are async; a SIMD step runs per surviving batch element in index
 * order (or once for the whole batch through `runBatch`); skipped steps read as null and the skip
 * cascades.
 *
 * Hot path: a scalar workflow of sync blocks runs without awaiting anything per step.
 */
import { randomUUID } from "node:crypto";
import type { Services } from "../block-api/index.js";
import type { CompiledStep, CompiledWorkflow } from "../compiler/index.js";
import { WorkflowError } from "../errors/index.js";
import type { StateStore } from "../state/store.js";
import { callBlock, checkDecision, checkNestedList, checkOutputs } from "./calls.js";
import { FlowDecisions, identifyStreams, stepContext, stepInputs, type BatchStreams, type StepScope, type Values } from "./interpreter.js";
import { RunValues, type Outputs } from "./values.js";

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

/** A batch element a step runs on, with its inputs. */
interface Element {
  index: number;
  inputs: Record<string, unknown>;
}

/**
 * The elements a batch step runs on: the input batch, or the nested batch of a crop
 * (docs/architecture.md#dimensionality), whose element k reads input-batch values, stream and
 * frame from its parent.
 */
interface Elements {
  size: number;
  /** The input-batch element element k came from (itself for the input batch). */
  parentOf: (index: number) => number;
  values: Values;
  batch: BatchStreams;
}

/** What a batch step's element produced: its outputs, or a list of them for a dimensionality-increasing step; null when skipped or failed. */
type ElementResult = Outputs | Outputs[] | null;

class Run {
  private readonly values: RunValues;
  readonly decisions: FlowDecisions;
  private readonly scope: StepScope;
  readonly batch: BatchStreams;
  readonly errors: ElementError[] = [];
  private readonly failed: boolean[];

  constructor(
    private readonly env: RunEnvironment,
    private readonly batchSize: number,
    inputs: ReadonlyMap<string, unknown>,
  ) {
    this.values = new RunValues(env.plan, inputs);
    this.decisions = new FlowDecisions(batchSize);
    this.scope = { store: env.store, states: env.store, services: env.services, clock: env.clock, signal: env.signal, executionId: randomUUID() };
    this.batch = identifyStreams(env.plan, batchSize, inputs);
    this.failed = new Array<boolean>(batchSize).fill(false);
  }

  async execute(): Promise<Record<string, unknown>[]> {
    for (const layer of this.env.plan.layers) {
      this.env.signal.throwIfAborted();
      let pending: Promise<void>[] | null = null;
      const nesting: [CompiledStep, ElementResult[]][] = [];
      for (const step of layer) {
        let maybe: void | Promise<void>;
        if (!step.isBatch) maybe = this.runScalarStep(step);
        else {
          const space = this.elementsOf(step);
          const record = new Array<ElementResult>(space.size).fill(null);
          if (step.block.manifest.increasesDimensionality) nesting.push([step, record]);
          else this.values.record(step.name, record as (Outputs | null)[]);
          maybe = this.runBatchStep(step, space, record);
        }
        if (maybe) (pending ??= []).push(maybe);
      }
      if (pending) await Promise.all(pending);
      // A nested batch is known once all of its step's elements have run.
      for (const [step, lists] of nesting) this.values.recordNested(step.name, lists as (Outputs[] | null)[]);
    }
    return this.values.results(this.batchSize, this.failed);
  }

  private elementsOf(step: CompiledStep): Elements {
    if (step.nestedIn === null) return { size: this.batchSize, parentOf: (index) => index, values: this.values, batch: this.batch };
    const parents = this.values.parentsOf(step.nestedIn);
    const values: Values = { read: (source, index) => this.values.read(source, source.nestedIn === null ? parents[index] : index) };
    const batch: BatchStreams = { streams: parents.map((p) => this.batch.streams[p]), frames: parents.map((p) => this.batch.frames[p]) };
    return { size: parents.length, parentOf: (index) => parents[index], values, batch };
  }

  private runScalarStep(step: CompiledStep): void | Promise<void> {
    const inputs = this.decisions.open(step, null) ? stepInputs(step, this.values, null) : null;
    if (!inputs) return this.values.record(step.name, null);
    const context = stepContext(this.scope, step, this.batch, null);
    const finish = (result: unknown): void => {
      this.values.record(step.name, this.accept(step, step.block.run ? result : (result as unknown[])[0], null));
    };
    const result = step.block.run
      ? callBlock(step, () => step.block.run!(inputs, context), this.batch, null)
      : callBlock(step, () => step.block.runBatch!([inputs], [context]), this.batch, null, true);
    if (result instanceof Promise) return result.then(finish);
    finish(result);
  }

  private runBatchStep(step: CompiledStep, space: Elements, record: ElementResult[]): void | Promise<void> {
    const elements: Element[] = [];
    for (let index = 0; index < space.size; index++) {
      if (this.failed[space.parentOf(index)] || !this.decisions.open(step, index)) continue;
      const inputs = stepInputs(step, space.values, index);
      if (inputs) elements.push({ index, inputs });
    }
    if (elements.length === 0) return;
    if (!step.block.run) return this.runWholeBatch(step, space, elements, record);
    return this.runElements(step, space, elements, record, 0);
  }

  /** Runs the elements from `from` on, in order; from the first that answers a promise, asynchronously. */
  private runElements(step: CompiledStep, space: Elements, elements: Element[], record: ElementResult[], from: number): void | Promise<void> {
    for (let k = from; k < elements.length; k++) {
      const { index, inputs } = elements[k];
      const context = stepContext(this.scope, step, space.batch, index);
      let result: unknown;
      try {
        result = callBlock(step, () => step.block.run!(inputs, context), space.batch, index);
      } catch (error) {
        this.failElement(step, space, index, error);
        continue;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            record[index] = this.acceptElement(step, space, value, index);
            return this.runElements(step, space, elements, record, k + 1);
          },
          (error: unknown) => {
            this.failElement(step, space, index, error);
            return this.runElements(step, space, elements, record, k + 1);
          },
        );
      }
      record[index] = this.acceptElement(step, space, result, index);
    }
  }

  private async runWholeBatch(step: CompiledStep, space: Elements, elements: Element[], record: ElementResult[]): Promise<void> {
    const contexts = elements.map(({ index }) => stepContext(this.scope, step, space.batch, index));
    let results: unknown;
    try {
      results = await callBlock(
        step,
        () =>
          step.block.runBatch!(
            elements.map((e) => e.inputs),
            contexts,
          ),
        space.batch,
        null,
        true,
      );
    } catch (error) {
      for (const { index } of elements) this.failElement(step, space, index, error);
      return;
    }
    const list = results as unknown[];
    elements.forEach(({ index }, k) => {
      record[index] = this.acceptElement(step, space, list[k], index);
    });
  }

  /** Checks the block kept its contract and takes what it returned: a decision, or the step's outputs. */
  private accept(step: CompiledStep, result: unknown, index: number | null, batch = this.batch): Outputs {
    if (!step.block.manifest.flowControl) return checkOutputs(step, result, batch, index);
    this.decisions.register(step, checkDecision(step, result, batch, index).next, index);
    return {};
  }

  private acceptElement(step: CompiledStep, space: Elements, result: unknown, index: number): ElementResult {
    try {
      if (!step.block.manifest.increasesDimensionality) return this.accept(step, result, index, space.batch);
      return checkNestedList(step, result, space.batch, index).map((outputs) => this.accept(step, outputs, index, space.batch));
    } catch (error) {
      this.failElement(step, space, index, error);
      return null;
    }
  }

  /** A nested element's failure fails the input-batch element it came from; the first error of an element is the one it reports. */
  private failElement(step: CompiledStep, space: Elements, index: number, error: unknown): void {
    if (!this.env.isolateElementErrors || !(error instanceof WorkflowError)) throw error;
    const parent = space.parentOf(index);
    if (this.failed[parent]) return;
    this.failed[parent] = true;
    this.errors.push({ index: parent, step: step.name, error });
  }
}

export async function executeRun(env: RunEnvironment, batchSize: number, inputs: ReadonlyMap<string, unknown>): Promise<RunOutcome> {
  const run = new Run(env, batchSize, inputs);
  const { batch, decisions } = run;
  env.store.touch(batch.streams, env.clock());
  const results = await run.execute();
  // passedGates holds the decisions only, not the run (and so not its outputs).
  return { results, errors: run.errors, streams: batch.streams, frames: batch.frames, passedGates: (step) => decisions.openForAll(step) };
}
