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
      for (const output of outputs) result[output.name] = failed[i] && output.source.isBatch ? null : (this.read(output.source, i) ?? null);
      results.push(result);
    }
    return results;
  }

  private allNull(step: string): Outputs {
    return Object.fromEntries(this.plan.stepsByName.get(step)!.outputNames.map((name) => [name, null]));
  }
}
