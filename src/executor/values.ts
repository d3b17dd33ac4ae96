/**
 * The values of one run: its workflow inputs and the outputs of the steps run so far, which the
 * steps' input templates read (see `stepInputs`) and the workflow outputs are made of.
 */
import type { CompiledWorkflow, ValueSource } from "../compiler/index.js";
import { inputValue, type Values } from "./interpreter.js";

export type Outputs = Record<string, unknown>;

/** A scalar step's outputs, or a batch step's outputs per element; null = skipped. */
export type StepRecord = Outputs | null | (Outputs | null)[];

export class RunValues implements Values {
  private readonly outputs = new Map<string, StepRecord>();
  /**
   * Per dimensionality-increasing step, the input-batch element each element of its nested
   * batch came from (docs/architecture.md#dimensionality).
   */
  private readonly parents = new Map<string, readonly number[]>();

  constructor(
    private readonly plan: CompiledWorkflow,
    private readonly inputs: ReadonlyMap<string, unknown>,
  ) {}

  read(source: ValueSource, index: number): unknown {
    if (source.from === "input") return inputValue(this.inputs, source, index);
    const record = this.outputs.get(source.step);
    const outputs = source.isBatch ? (record as (Outputs | null)[] | undefined)?.[index] : (record as Outputs | null | undefined);
    if (source.output === "*") return outputs ?? this.allNull(source.step);
    return outputs ? outputs[source.output] : null;
  }

  /** Registers a step's outputs; a batch step's record is filled in as its elements finish. */
  record(step: string, record: StepRecord): void {
    this.outputs.set(step, record);
  }

  /**
   * Registers the outputs of a dimensionality-increasing step, a list per input-batch element
   * (null: skipped or failed), as its nested batch: the lists one after the other.
   */
  recordNested(step: string, lists: readonly (readonly Outputs[] | null)[]): void {
    const record: Outputs[] = [];
    const parents: number[] = [];
    lists.forEach((list, parent) => {
      for (const outputs of list ?? []) {
        record.push(outputs);
        parents.push(parent);
      }
    });
    this.outputs.set(step, record);
    this.parents.set(step, parents);
  }

  /** The input-batch element of each element of a step's nested batch (empty before it ran). */
  parentsOf(nestedIn: string): readonly number[] {
    return this.parents.get(nestedIn) ?? [];
  }

  /**
   * The workflow outputs: one result per batch element (nulls for a failed element's batch
   * outputs), or exactly one when no output is batch-oriented
   * (docs/reference/workflows.md#run-results).
   */
  results(batchSize: number, failed: readonly boolean[]): Record<string, unknown>[] {
    const { outputs, hasBatchOutputs } = this.plan;
    if (!hasBatchOutputs) {
      const result: Record<string, unknown> = {};
      for (const output of outputs) result[output.name] = this.read(output.source, 0) ?? null;
      return [result];
    }
    const results: Record<string, unknown>[] = [];
    for (let i = 0; i < batchSize; i++) {
      const result: Record<string, unknown> = {};
      for (const output of outputs) result[output.name] = failed[i] && output.source.isBatch ? null : this.elementOutput(output.source, i);
      results.push(result);
    }
    return results;
  }

  /** An output's value for input-batch element i: a nested output is the list of its elements that came from i, as upstream nests them. */
  private elementOutput(source: ValueSource, i: number): unknown {
    if (source.nestedIn === null) return this.read(source, i) ?? null;
    const values: unknown[] = [];
    this.parentsOf(source.nestedIn).forEach((parent, k) => {
      if (parent === i) values.push(this.read(source, k) ?? null);
    });
    return values;
  }

  private allNull(step: string): Outputs {
    return Object.fromEntries(this.plan.stepsByName.get(step)!.outputNames.map((name) => [name, null]));
  }
}
